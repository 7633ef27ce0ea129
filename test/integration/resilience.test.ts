/**
 * Resilience against a misbehaving PACS (a fake upstream that fails on demand):
 * retries, circuit breaker, bulkheads, stale fallback, health and metrics.
 */
import test from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startGateway } from '../support/gateway.js';
import { startFakeUpstream } from '../support/fake-upstream.js';

type Mode = 'ok' | '503' | 'refuse' | 'slow';

function switchable() {
  const state = { mode: 'ok' as Mode, headers: [] as Array<Record<string, string | string[] | undefined>> };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    state.headers.push(req.headers);
    if (state.mode === '503') return void res.writeHead(503, { 'retry-after': '0' }).end();
    if (state.mode === 'refuse') return void req.socket.destroy();
    const send = () => res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('[{"0020000D":{"vr":"UI","Value":["1.2.3"]}}]');
    if (state.mode === 'slow') setTimeout(send, 300);
    else send();
  };
  return { state, handler };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

test('a 503 with Retry-After is retried and the client never sees it', async (t) => {
  let calls = 0;
  const fake = await startFakeUpstream((_req, res) => {
    calls++;
    if (calls < 3) return void res.writeHead(503, { 'retry-after': '0' }).end('busy');
    res.writeHead(200).end('[]');
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 3, retryInitialDelayMs: 1 } });
  try {
    t.is((await get(`${gw.url}/studies`)).status, 204);
    t.is(calls, 3);
    const metrics = (await get(`${gw.origin}/metrics`)).text;
    t.regex(metrics, /gateway_upstream_retries_total\{upstream="PACS",class="search"\} 2/);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('the circuit opens after repeated outages, fails fast, and closes when the PACS is back', async (t) => {
  const { state, handler } = switchable();
  const fake = await startFakeUpstream(handler);
  const gw = await startGateway(fake.url, { upstream: { retries: 0, breakerThreshold: 3, breakerHalfOpenAfterMs: 300, name: 'Main PACS' }, cache: { enabled: false } });
  try {
    state.mode = '503';
    for (let i = 0; i < 3; i++) t.is((await get(`${gw.url}/studies`)).status, 503);
    const before = state.headers.length;
    const open = await get(`${gw.url}/studies`);
    t.is(open.status, 503);
    t.is(open.json().code, 'UPSTREAM_CIRCUIT_OPEN');
    t.regex(String(open.json().detail), /Main PACS.*failing since/);
    t.truthy(open.headers['retry-after']);
    t.is(state.headers.length, before, 'an open circuit sends nothing upstream');
    t.is((await get(`${gw.origin}/readyz`)).status, 503);
    t.is((await get(`${gw.origin}/healthz`)).status, 200);
    state.mode = 'ok';
    await sleep(350);
    t.is((await get(`${gw.url}/studies`)).status, 200, 'half-open probe succeeds and closes the circuit');
    t.is((await get(`${gw.origin}/readyz`)).status, 200);
    const status = (await get(`${gw.origin}/status`)).json() as { upstreams: Array<{ circuit: string; lastError: string }> };
    t.is(status.upstreams[0]!.circuit, 'closed');
    t.truthy(status.upstreams[0]!.lastError);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('while the PACS is down, expired cached answers are served marked stale', async (t) => {
  const { state, handler } = switchable();
  const fake = await startFakeUpstream(handler);
  const gw = await startGateway(fake.url, { upstream: { retries: 0 }, cache: { ttlMs: 50, staleIfErrorMs: 60_000 } });
  try {
    const fresh = await get(`${gw.url}/studies?PatientID=X`);
    t.is(fresh.status, 200);
    state.mode = 'refuse';
    await sleep(80);
    const stale = await get(`${gw.url}/studies?PatientID=X`);
    t.is(stale.status, 200);
    t.is(stale.text, fresh.text);
    t.is(stale.headers['x-gateway-cache'], 'STALE-IF-ERROR');
    t.regex(String(stale.headers.warning), /^110 .*111 /);
    t.is((await get(`${gw.url}/studies?PatientID=NEVER-SEEN`)).status, 502, 'nothing cached: a clear 502');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('a bulkhead keeps a flood of one route class from starving searches', async (t) => {
  const { state, handler } = switchable();
  state.mode = 'slow';
  const fake = await startFakeUpstream(handler);
  const gw = await startGateway(fake.url, { upstream: { bulkhead: { search: 4, metadata: 1, retrieve: 1, frames: 1, rendered: 1, store: 1, queue: 0 } }, cache: { enabled: false } });
  try {
    const flood = [1, 2, 3].map(() => get(`${gw.url}/studies/1.2.3/metadata`));
    await sleep(50);
    const search = await get(`${gw.url}/studies`);
    t.is(search.status, 200, 'search has its own slots');
    const results = await Promise.all(flood);
    t.deepEqual(results.map((r) => r.status).sort(), [200, 503, 503]);
    t.is(results.find((r) => r.status === 503)!.json().code, 'GATEWAY_BUSY');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('trace context and request id reach the upstream; metrics and status are exposed', async (t) => {
  const { state, handler } = switchable();
  const fake = await startFakeUpstream(handler);
  const gw = await startGateway(fake.url);
  try {
    const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await get(`${gw.url}/studies`, { traceparent: trace, 'x-request-id': 'abc-123' });
    t.is(res.headers['x-request-id'], 'abc-123');
    const sent = state.headers[0]!;
    t.regex(String(sent.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    t.not(sent.traceparent, trace, 'a new span id for this hop');
    t.is(sent['x-request-id'], 'abc-123');
    const metrics = (await get(`${gw.origin}/metrics`)).text;
    t.regex(metrics, /gateway_http_requests_total\{route="\/dicom-web\/studies",method="GET",status="200"\} 1/);
    t.regex(metrics, /gateway_upstream_requests_total\{upstream="PACS",class="search",outcome="ok"\} 1/);
    t.regex(metrics, /gateway_metadata_cache_misses 1/);
    t.regex(metrics, /gateway_process_resident_memory_bytes/);
    const status = (await get(`${gw.origin}/status`)).json() as { version: string; caches: { metadata: { entries: number } } };
    t.regex(status.version, /^\d+\.\d+\.\d+/);
    t.is(status.caches.metadata.entries, 1);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('readiness turns 503 while draining', async (t) => {
  const fake = await startFakeUpstream((_req, res) => res.writeHead(200).end('[]'));
  const gw = await startGateway(fake.url);
  try {
    t.is((await get(`${gw.origin}/readyz`)).status, 200);
    gw.gateway.lifecycle.draining = true;
    const res = await get(`${gw.origin}/readyz`);
    t.is(res.status, 503);
    t.true(res.json().draining as boolean);
  } finally {
    await gw.close();
    await fake.close();
  }
});
