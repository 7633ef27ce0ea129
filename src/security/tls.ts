/**
 * TLS: the HTTPS listener (certificate and key from files, reloaded on SIGHUP
 * or when the files change, without dropping connections: setSecureContext),
 * and the options for TLS to an https:// upstream (custom CA, client
 * certificate for mutual TLS to the PACS).
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { SecurityConfig } from './config.js';

type ServerTls = NonNullable<SecurityConfig['tls']>;
type UpstreamTls = NonNullable<SecurityConfig['upstreamTls']>;

export function serverTlsOptions(tls: ServerTls): SecureContextOptions {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ...(tls.passphrase !== undefined && { passphrase: tls.passphrase }), minVersion: tls.minVersion };
}

/** undici `connect` options (tls.connect options) for the upstream pool; undefined = defaults. */
export function upstreamConnectOptions(tls: UpstreamTls | null): Record<string, unknown> | undefined {
  if (!tls) return undefined;
  if ((tls.certFile === null) !== (tls.keyFile === null)) throw new Error('security.upstreamTls: certFile and keyFile go together (mutual TLS needs both).');
  return {
    ...(tls.caFile && { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile && { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile && { key: readFileSync(tls.keyFile) }),
    ...(tls.passphrase !== undefined && { passphrase: tls.passphrase }),
    ...(tls.servername && { servername: tls.servername }),
  };
}

export interface Listener {
  server: HttpServer | HttpsServer;
  protocol: 'http' | 'https';
  /** Re-reads certificate and key; keeps the previous ones when the new files are unusable. */
  reload(): boolean;
  close(): void;
}

export function createListener(security: SecurityConfig, app: RequestListener, log: Logger): Listener {
  const maxHeaderSize = security.limits.maxHeaderBytes;
  const tls = security.tls;
  if (!tls) {
    return { server: createHttpServer({ maxHeaderSize }, app), protocol: 'http', reload: () => false, close: () => undefined };
  }
  const server = createHttpsServer({ ...serverTlsOptions(tls), maxHeaderSize }, app);
  const reload = (): boolean => {
    try {
      server.setSecureContext(serverTlsOptions(tls));
      log.info({ certFile: tls.certFile }, 'TLS certificate reloaded');
      return true;
    } catch (err) {
      log.error({ err: (err as Error).message, certFile: tls.certFile }, 'TLS certificate reload failed; keeping the previous certificate');
      return false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  // cert-manager and certbot replace both files in quick succession: reload once, after both.
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 500);
    timer.unref();
  };
  if (tls.watch) for (const file of [tls.certFile, tls.keyFile]) watchFile(file, { interval: 2000, persistent: false }, onChange);
  return {
    server,
    protocol: 'https',
    reload,
    close: () => {
      clearTimeout(timer);
      for (const file of [tls.certFile, tls.keyFile]) unwatchFile(file, onChange);
    },
  };
}
