/**
 * Serves the installed OHIF build at the root of its own loopback origin, as
 * a site hosting OHIF apart from the gateway would. Its app-config.js is the
 * one the gateway generates (GET /ohif/app-config.js), which is the step a
 * user takes: no hand-edited configuration.
 */
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeOf, resolveBuildFile } from '../../../src/viewer/ohif-build.js';

export interface OhifOrigin {
  origin: string;
  /** Set once the gateway runs: app-config.js is fetched from it on each load. */
  gatewayOrigin: string | null;
  close(): Promise<void>;
}

export async function startOhifOrigin(distDir: string): Promise<OhifOrigin> {
  const state: OhifOrigin = { origin: '', gatewayOrigin: null, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ohif.invalid');
    if (url.pathname === '/app-config.js') {
      void fetch(`${state.gatewayOrigin}/ohif/app-config.js`).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'text/javascript' });
        res.end(await answer.text());
      }, (err: Error) => res.writeHead(502).end(err.message));
      return;
    }
    const file = resolveBuildFile(distDir, url.pathname === '/' ? '/index.html' : url.pathname)
      ?? (/\.[a-z0-9]+$/i.test(url.pathname) ? null : resolveBuildFile(distDir, '/index.html'));
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': contentTypeOf(file) });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
