/**
 * Who sees what: a caller with a data restriction sees and cancels only its
 * own jobs, and its jobs keep only studies it could read itself; unrestricted
 * callers see every job. Served by a bare koa app with a stand-in for the
 * security layer (ctx.state.principal) and a runner that never finishes.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import { errorMiddleware } from '../../src/http/error-middleware.js';
import { visibleUniqueRows } from '../../src/prefetch/find-studies.js';
import { createPrefetchHandlers } from '../../src/prefetch/handlers.js';
import { PrefetchManager } from '../../src/prefetch/manager.js';
import { PrefetchMetrics } from '../../src/prefetch/metrics.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import type { JobTracker } from '../../src/prefetch/tracker.js';
import type { Principal } from '../../src/security/principal.js';
import { StateDatabase } from '../../src/state/database.js';

const log = pino({ level: 'silent' });
const PRINCIPALS: Record<string, Principal> = {
  alice: { id: 'alice', kind: 'token', roles: new Set(['read']), restriction: { patientIds: ['P1'] } },
  bob: { id: 'bob', kind: 'token', roles: new Set(['read']), restriction: { patientIds: ['P2'] } },
  admin: { id: 'admin', kind: 'token', roles: new Set(['read', 'admin']) },
};

async function serve(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-access-'));
  const state = new StateDatabase(dir, log);
  const repo = new SqlitePrefetchRepository(state);
  const config = loadConfig({ env: {}, overrides: { log: { level: 'silent' } } });
  const runner = { run: (tracker: JobTracker, signal: AbortSignal) => tracker.start('running').then(() => new Promise<void>((_r, reject) => signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))))) };
  const manager = new PrefetchManager({ repo, runner, config: config.prefetch, log, metrics: new PrefetchMetrics(new Registry(), repo) });
  const h = createPrefetchHandlers({ services: { config, lifecycle: { draining: false } }, manager, edge: { enabled: true } });
  const router = new Router();
  router.post('/api/prefetch', h.handleCreatePrefetchJob).get('/api/prefetch', h.handleListPrefetchJobs);
  router.get('/api/prefetch/:id', h.handleGetPrefetchJob).delete('/api/prefetch/:id', h.handleCancelPrefetchJob);
  const app = new Koa();
  app.use(errorMiddleware(log));
  app.use(async (ctx, next) => {
    ctx.state.principal = PRINCIPALS[ctx.get('x-user')];
    await next();
  });
  app.use(router.routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
    void manager.close().then(() => {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (user: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => {
    const res = await request(`${origin}${url}`, { method, headers: { 'x-user': user, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    return { status: res.statusCode, body: (await res.body.json()) as { id?: string; jobs?: Array<{ id: string }>; status?: string } };
  };
}

test('restricted callers see and cancel only their own jobs; unrestricted callers see all', async (t) => {
  const call = await serve(t);
  const created = await call('alice', 'POST', '/api/prefetch', { patient: { id: 'P1' } });
  t.is(created.status, 202);
  const id = created.body.id!;
  t.is((await call('alice', 'GET', `/api/prefetch/${id}`)).status, 200);
  t.is((await call('bob', 'GET', `/api/prefetch/${id}`)).status, 404, "another restricted caller's job does not exist for bob");
  t.is((await call('bob', 'DELETE', `/api/prefetch/${id}`)).status, 404);
  t.deepEqual((await call('bob', 'GET', '/api/prefetch')).body.jobs, []);
  t.deepEqual((await call('admin', 'GET', '/api/prefetch')).body.jobs?.map((j) => j.id), [id]);
  const cancelled = await call('alice', 'DELETE', `/api/prefetch/${id}`);
  t.is(cancelled.body.status, 'cancelled');
});

test("a job keeps only the studies its creator could read, each once", (t) => {
  const row = (uid: string, id: string, issuer?: string) => ({
    '0020000D': { vr: 'UI', Value: [uid] }, '00100020': { vr: 'LO', Value: [id] }, ...(issuer && { '00100021': { vr: 'LO', Value: [issuer] } }),
  });
  const uids = (kept: ReturnType<typeof visibleUniqueRows>) => kept.map((r) => r['0020000D']?.Value?.[0]);
  const rows = [row('1.1', 'P1'), row('1.2', 'P2'), row('1.1', 'P1'), row('bad uid', 'P1'), row('1.3', 'P1', 'H')];
  t.deepEqual(uids(visibleUniqueRows(rows, undefined)), ['1.1', '1.2', '1.3']);
  t.deepEqual(uids(visibleUniqueRows(rows, { patientIds: ['P1'] })), ['1.1', '1.3']);
  t.deepEqual(uids(visibleUniqueRows(rows, { patientIds: ['P1'], issuers: ['H'] })), ['1.3']);
  t.deepEqual(uids(visibleUniqueRows(rows, { studies: ['1.2'] })), ['1.2']);
});
