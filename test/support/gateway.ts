/**
 * Starts a gateway app on a free loopback port for one test, and tears it down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfig, mergeDeep } from '../../src/config/load.js';

export interface RunningGateway {
  gateway: Gateway;
  server: Server;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** http://127.0.0.1:PORT/dicom-web */
  url: string;
  close(): Promise<void>;
}

export async function startGateway(upstreamUrl: string, overrides: Record<string, unknown> = {}): Promise<RunningGateway> {
  // Each gateway writes its audit trail to its own folder, removed on close; so is its
  // state (SQLite, edge cache) unless the test names a folder (to restart on it).
  const auditDir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-test-audit-'));
  const ownState = (overrides.state as { dir?: string } | undefined)?.dir === undefined;
  const stateDir = ownState ? mkdtempSync(path.join(os.tmpdir(), 'dwgw-test-state-')) : undefined;
  const config = loadConfig({
    env: {},
    overrides: mergeDeep(
      { server: { port: 0 }, upstream: { url: upstreamUrl }, log: { level: 'silent' }, security: { audit: { dir: auditDir } }, ...(stateDir && { state: { dir: stateDir } }) },
      overrides,
    ),
  });
  const gateway = createGateway(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const server = createServer(gateway.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    gateway,
    server,
    origin,
    url: `${origin}${config.server.basePath}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      rmSync(auditDir, { recursive: true, force: true });
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
