/**
 * Edge hardening with a recording upstream: hostile request targets (encoded
 * traversal, double encoding, backslashes, %00, overlong UIDs, header
 * injection) never reach any upstream route but the DICOMweb ones; size
 * limits; CORS and security headers; rate limiting; each refusal audited.
 */
import test from 'ava';
import { connect } from 'node:net';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mergeDeep } from '../../src/config/load.js';
import { auditOf, call, lastAudit, tempDir } from './security-helpers.js';

async function withGateway(overrides: Record<string, unknown>, run: (gw: RunningGateway, fake: FakeUpstream, audit: string) => Promise<void>): Promise<void> {
  const fake = await startFakeUpstream((_req, res) => {
    res.setHeader('content-type', 'application/dicom+json');
    res.end('[]');
  });
  const audit = tempDir();
  const gw = await startGateway(fake.url, mergeDeep({ security: { audit: { dir: audit } } }, overrides));
  try {
    await run(gw, fake, audit);
  } finally {
    await gw.close();
    await fake.close();
  }
}

/** Sends a request target byte for byte (no client normalisation) and returns status line, headers and body. */
function rawRequest(origin: string, target: string, extraHeaders = ''): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n${extraHeaders}\r\n`));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      resolve({ status: Number(head.split(' ')[1]), head, body });
    });
  });
}

/** Upstream DICOMweb paths the gateway may ask for: only studies/series/instances resources built from UIDs. */
const DICOMWEB_UPSTREAM = /^\/dicom-web\/(studies|series|instances)(\/[0-9.]+(\/(series|instances|metadata|frames|rendered|bulk)(\/[0-9.,A-Fa-f/]+)?)*)?(\?[^\r\n]*)?$/;

const HOSTILE = [
  '/dicom-web/studies/..%2F..%2Finstances',
  '/dicom-web/studies/..%2f..%2f..%2ftools%2ffind',
  '/dicom-web/studies/1.2.3/..%2F..%2F..%2Fsystem',
  '/dicom-web/studies/%2E%2E/%2E%2E/instances',
  '/dicom-web/studies/1.2.3%252F..%252F..%252Fsystem',
  '/dicom-web/studies/1.2.3%255C..%255Csystem',
  '/dicom-web/studies/1.2.3\\..\\..\\system',
  '/dicom-web/studies/1.2.3%5C..%5C..%5Csystem',
  '/dicom-web/studies/1.2.3%00/series',
  '/dicom-web/studies/1.2.3%00.html',
  '/dicom-web/../../system',
  '/dicom-web/studies/../../tools/reset',
  '/dicom-web//instances',
  '/dicom-web/studies/1.2.3/series/4.5/instances/6.7/bulk/7fe00010%2F..%2F..%2F..%2F..%2Fsystem',
  '/dicom-web/studies/1.2.3/series/4.5/instances/6.7/frames/1%2F..%2F..',
  `/dicom-web/studies/${'1.'.repeat(40)}1/metadata`,
  '/dicom-web/studies/1.2.3%0D%0AX-Injected:%201/metadata',
  '/dicom-web/studies/1.2.3/metadata?accept=x%0D%0AX-Injected:%201',
  '/dicom-web/studies?PatientID=x%0d%0aX-Injected:%201',
  '/dicom-web/studies?PatientID=x%00',
  '/instances', '/tools/find', '/system', '/dicom-web/system', '/dicom-web/tools',
];

test('hostile request targets are refused and none reaches an upstream route other than DICOMweb', async (t) => {
  await withGateway({}, async (gw, fake, audit) => {
    for (const target of HOSTILE) {
      const res = await rawRequest(gw.origin, target);
      t.true(res.status === 400 || res.status === 404, `${target} → ${res.status}`);
      t.regex(res.head, /content-type: application\/problem\+json/i, target);
      const problem = JSON.parse(res.body) as { code: string; status: number };
      t.is(problem.status, res.status, target);
      t.false(res.head.toLowerCase().includes('x-injected'), target);
    }
    t.true(fake.requests.every((r) => DICOMWEB_UPSTREAM.test(r.url)), JSON.stringify(fake.requests));
    t.false(fake.requests.some((r) => /system|tools|\.\.|%|\\/i.test(r.url)), JSON.stringify(fake.requests));
    const traversal = await rawRequest(gw.origin, '/dicom-web/studies/..%2F..%2Finstances');
    t.is((JSON.parse(traversal.body) as { code: string }).code, 'INVALID_UID');
    const event = await lastAudit(audit, (e) => e.request?.path === '/dicom-web/studies/..%2F..%2Finstances');
    t.is(event?.eventType, 'Security Alert');
    t.is(event?.eventTypeCode?.meaning, 'Access Control Decision');
    t.regex(event?.outcomeDescription ?? '', /INVALID_UID/);
  });
});

test('header injection in a header value is stopped by the HTTP parser before the gateway', async (t) => {
  await withGateway({}, async (gw, fake) => {
    const res = await rawRequest(gw.origin, '/dicom-web/studies', 'Accept: application/dicom+json\rX-Injected: 1\r\n');
    t.is(res.status, 400);
    t.is(fake.requests.length, 0);
  });
});

test('unknown query parameters on WADO-RS are a 400 naming the parameter; QIDO validates its own', async (t) => {
  await withGateway({}, async (gw, fake) => {
    const res = await call(`${gw.url}/studies/1.2.3/metadata?path=../../system`);
    t.is(res.status, 400);
    t.is(res.json().code, 'UNKNOWN_PARAMETER');
    t.is(res.json().parameter, 'path');
    const rendered = await call(`${gw.url}/studies/1.2.3/series/4.5/instances/6.7/rendered?quality=80&_=123&access_token=`);
    t.not(rendered.json().code, 'UNKNOWN_PARAMETER', 'rendered parameters and the ignored ones pass');
    t.is((await call(`${gw.url}/studies?NoSuchKey=1`)).json().code, 'QIDO_UNKNOWN_ATTRIBUTE');
    t.false(fake.requests.some((r) => r.url.includes('system')));
  });
});

test('size limits: URL 414, headers 431, bodies 413 (STOW: its own limit), each audited', async (t) => {
  await withGateway({ security: { limits: { maxUrlBytes: 1024, maxHeaderBytes: 2048, maxBodyBytes: 1024, extraQueryParameters: [] } }, stow: { maxRequestBytes: 4096 } }, async (gw, fake, audit) => {
    const long = await call(`${gw.url}/studies?PatientName=${'A'.repeat(2000)}`);
    t.is(long.status, 414);
    t.is(long.json().code, 'URI_TOO_LONG');
    const headers = await call(`${gw.url}/studies`, { headers: { 'x-padding': 'p'.repeat(4000) } });
    t.is(headers.status, 431);
    t.is(headers.json().code, 'HEADERS_TOO_LARGE');
    const body = await rawRequest(gw.origin, '/dicom-web/studies', 'Content-Length: 5000\r\n');
    t.is(body.status, 413);
    t.is((JSON.parse(body.body) as { code: string }).code, 'BODY_TOO_LARGE');
    const stow = await call(`${gw.url}/studies`, { method: 'POST', headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=b' }, body: Buffer.alloc(8192, 0x41) });
    t.is(stow.status, 413);
    const stowEvent = await auditOf(audit, stow);
    t.is(stowEvent?.eventType, 'Instances Stored');
    t.is(stowEvent?.outcome, 4);
    const event = await auditOf(audit, long);
    t.is(event?.eventType, 'Security Alert');
    t.regex(event?.outcomeDescription ?? '', /URI_TOO_LONG/);
    t.is(fake.requests.length, 0);
  });
});

test('CORS: configured origins get Access-Control headers and preflights; others are refused', async (t) => {
  await withGateway({ security: { cors: { allowedOrigins: ['https://viewer.example'], allowCredentials: false, maxAgeSeconds: 600 } } }, async (gw) => {
    const preflight = await call(`${gw.url}/studies`, { method: 'OPTIONS', headers: { origin: 'https://viewer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-evil' } });
    t.is(preflight.status, 204);
    t.is(preflight.headers['access-control-allow-origin'], 'https://viewer.example');
    t.is(preflight.headers['access-control-allow-headers'], 'authorization, content-type');
    t.regex(String(preflight.headers['access-control-allow-methods']), /POST/);
    t.is(preflight.headers['access-control-max-age'], '600');
    const refused = await call(`${gw.url}/studies`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    t.is(refused.status, 403);
    t.is(refused.json().code, 'CORS_ORIGIN_NOT_ALLOWED');
    t.is(refused.headers['access-control-allow-origin'], undefined);
    const get = await call(`${gw.url}/studies`, { headers: { origin: 'https://viewer.example' } });
    t.is(get.headers['access-control-allow-origin'], 'https://viewer.example');
    t.regex(String(get.headers['access-control-expose-headers']), /ETag/);
    t.regex(String(get.headers.vary), /Origin/);
    t.is((await call(`${gw.url}/studies`, { headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin'], undefined);
  });
});

test('security headers on data and error answers; Cross-Origin-Resource-Policy on rendered and bulk resources', async (t) => {
  await withGateway({}, async (gw) => {
    for (const res of [await call(`${gw.url}/studies`), await call(`${gw.url}/nowhere`)]) {
      t.is(res.headers['x-content-type-options'], 'nosniff');
      t.is(res.headers['referrer-policy'], 'no-referrer');
      t.is(res.headers['x-frame-options'], 'DENY');
      t.regex(String(res.headers['content-security-policy']), /default-src 'none'/);
      t.is(res.headers['cross-origin-resource-policy'], 'same-origin');
      t.is(res.headers['strict-transport-security'], undefined, 'HSTS only over HTTPS');
    }
    const rendered = await call(`${gw.url}/studies/1.2.3/series/4.5/instances/6.7/rendered`);
    t.is(rendered.headers['cross-origin-resource-policy'], 'cross-origin');
    const bulk = await call(`${gw.url}/studies/1.2.3/series/4.5/instances/6.7/bulk/not-a-tag`);
    t.is(bulk.headers['cross-origin-resource-policy'], 'cross-origin');
  });
});

test('rate limiting per identity: 429 with Retry-After once the burst is spent, audited', async (t) => {
  await withGateway({ security: { rateLimit: { enabled: true, requestsPerSecond: 0.01, burst: 3 } } }, async (gw, _fake, audit) => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(`${gw.url}/studies`)).status);
    t.deepEqual(statuses, [204, 204, 204, 429]);
    const limited = await call(`${gw.url}/studies`);
    t.is(limited.json().code, 'RATE_LIMITED');
    t.true(Number(limited.headers['retry-after']) >= 1);
    const event = await auditOf(audit, limited);
    t.is(event?.eventType, 'Query');
    t.is(event?.outcome, 4);
    t.regex(event?.outcomeDescription ?? '', /RATE_LIMITED/);
  });
});

test('without authentication the gateway refuses a non-loopback host, unless allowAnonymous, which it audits', async (t) => {
  const fake = await startFakeUpstream((_q, res) => res.end('[]'));
  try {
    await t.throwsAsync(startGateway(fake.url, { server: { host: '0.0.0.0' } }), { message: /Refusing to start.*without authentication/s });
    const audit = tempDir();
    const gw = await startGateway(fake.url, { server: { host: '0.0.0.0' }, security: { allowAnonymous: true, audit: { dir: audit } } });
    try {
      t.true(gw.gateway.statusSources.audit !== undefined);
      const alert = await lastAudit(audit, (e) => e.eventTypeCode?.code === '110129' && /ANONYMOUS/.test(e.outcomeDescription ?? ''));
      t.is(alert?.eventType, 'Security Alert');
      t.regex(alert?.outcomeDescription ?? '', /ANONYMOUS ACCESS ENABLED.*roles \[read, write, admin\] on 0\.0\.0\.0/);
      t.truthy(await lastAudit(audit, (e) => e.eventTypeCode?.code === '110120'), 'Application Start');
      t.is((await call(`${gw.url}/studies`)).status, 204, 'served (no match: 204)');
    } finally {
      await gw.close();
    }
  } finally {
    await fake.close();
  }
});
