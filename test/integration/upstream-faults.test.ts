/**
 * What a client sees when the PACS fails: 502/503/504 problem+json that names
 * the archive, never a bare 500 and never a crash.
 */
import test from 'ava';
import { request } from 'undici';
import { startGateway } from '../support/gateway.js';
import { closedPortUrl, startFakeUpstream } from '../support/fake-upstream.js';

async function problem(url: string) {
  const res = await request(url);
  const body = JSON.parse(await res.body.text()) as Record<string, unknown>;
  return { status: res.statusCode, type: res.headers['content-type'], retryAfter: res.headers['retry-after'], body };
}

test('refused connection → 502 UPSTREAM_UNREACHABLE naming the archive', async (t) => {
  const gw = await startGateway(await closedPortUrl(), { upstream: { name: 'Main PACS', retries: 0 } });
  try {
    const res = await problem(`${gw.url}/studies`);
    t.is(res.status, 502);
    t.is(res.type, 'application/problem+json');
    t.is(res.body.code, 'UPSTREAM_UNREACHABLE');
    t.regex(String(res.body.detail), /Main PACS/);
    t.regex(String(res.body.detail), /connection refused/);
  } finally {
    await gw.close();
  }
});

test('headers never come → 504 UPSTREAM_TIMEOUT', async (t) => {
  const fake = await startFakeUpstream(() => undefined);
  const gw = await startGateway(fake.url, { upstream: { headersTimeoutMs: 300, retries: 0 } });
  try {
    const res = await problem(`${gw.url}/studies`);
    t.is(res.status, 504);
    t.is(res.body.code, 'UPSTREAM_TIMEOUT');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('503 with Retry-After passes the delay on', async (t) => {
  const fake = await startFakeUpstream((_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('maintenance'));
  const gw = await startGateway(fake.url);
  try {
    const res = await problem(`${gw.url}/studies`);
    t.is(res.status, 503);
    t.is(res.retryAfter, '7');
    t.is(res.body.code, 'UPSTREAM_UNAVAILABLE');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('500 from the archive → 502 UPSTREAM_ERROR', async (t) => {
  const fake = await startFakeUpstream((_req, res) => res.writeHead(500).end('{"Message":"boom"}'));
  const gw = await startGateway(fake.url);
  try {
    const res = await problem(`${gw.url}/studies`);
    t.is(res.status, 502);
    t.is(res.body.code, 'UPSTREAM_ERROR');
  } finally {
    await gw.close();
    await fake.close();
  }
});

for (const [name, body] of [['garbage', '<html>not json'], ['not an array', '{"a":1}'], ['array of numbers', '[1,2]']] as const) {
  test(`${name} body → 502 UPSTREAM_BAD_RESPONSE`, async (t) => {
    const fake = await startFakeUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(body));
    const gw = await startGateway(fake.url);
    try {
      const res = await problem(`${gw.url}/studies`);
      t.is(res.status, 502);
      t.is(res.body.code, 'UPSTREAM_BAD_RESPONSE');
    } finally {
      await gw.close();
      await fake.close();
    }
  });
}

test('connection reset before the answer is retried once, transparently', async (t) => {
  let calls = 0;
  const fake = await startFakeUpstream((req, res) => {
    calls++;
    if (calls === 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('[]');
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 1 } });
  try {
    const res = await request(`${gw.url}/studies`);
    await res.body.dump();
    t.is(res.statusCode, 204);
    t.is(calls, 2);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('the upstream sees only the DICOMweb resource asked for, with tag keys', async (t) => {
  const fake = await startFakeUpstream((_req, res) => res.writeHead(200).end('[]'));
  const gw = await startGateway(fake.url);
  try {
    const res = await request(`${gw.url}/studies/1.2.3/series?Modality=CT`);
    await res.body.dump();
    t.is(fake.requests.length, 1);
    t.regex(fake.requests[0]!.url, /^\/dicom-web\/studies\/1\.2\.3\/series\?00080060=CT&includefield=[0-9A-F,]+&limit=\d+$/);
  } finally {
    await gw.close();
    await fake.close();
  }
});
