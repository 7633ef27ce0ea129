/**
 * Rendered resources against a misbehaving upstream (faults a real Orthanc
 * won't produce on demand): coalescing of concurrent misses, upstream errors
 * mapped to 502/503, and a mid-stream failure cutting the connection.
 */
import test from 'ava';
import sharp from 'sharp';
import { request } from 'undici';
import { startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway } from '../support/gateway.js';
import { get } from './rendered-helpers.js';

const SERIES = '/dicom-web/studies/2.25.1/series/2.25.2';
const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer();

function qidoInstances(uids: string[]): string {
  return JSON.stringify(uids.map((uid, i) => ({
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: [uid] },
    '00200013': { vr: 'IS', Value: [i + 1] },
  })));
}

test('concurrent misses for one image cost the upstream one render', async (t) => {
  const fake = await startFakeUpstream((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      res.end(jpeg);
    }, 150);
  });
  const gw = await startGateway(fake.url);
  try {
    const url = `${gw.url}/studies/2.25.1/series/2.25.2/instances/2.25.3/rendered`;
    const all = await Promise.all(Array.from({ length: 10 }, () => get(url)));
    t.true(all.every((r) => r.status === 200 && r.body.equals(jpeg)));
    t.is(fake.requests.filter((r) => r.url.includes('/rendered')).length, 1);
    t.is((await get(url)).headers['x-gateway-cache'], 'HIT');
    t.is(fake.requests.length, 1);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('upstream failures are 502/503 with a problem body, never 500', async (t) => {
  const answers: Record<string, [number, string, string]> = {
    '2.25.10': [500, 'application/json', '{"error":"boom"}'],
    '2.25.11': [503, 'text/plain', 'maintenance'],
    '2.25.12': [200, 'text/html', '<html>login</html>'],
  };
  const fake = await startFakeUpstream((req, res) => {
    const uid = Object.keys(answers).find((k) => req.url?.includes(`/instances/${k}/`));
    if (uid === undefined) {
      // Mid-body reset on any other instance.
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 100000 });
      res.write(jpeg.subarray(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    const [status, type, body] = answers[uid]!;
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 0 } });
  try {
    const base = `${gw.url}/studies/2.25.1/series/2.25.2/instances`;
    const expected: Array<[string, number]> = [['2.25.10', 502], ['2.25.11', 503], ['2.25.12', 502], ['2.25.13', 502]];
    for (const [uid, status] of expected) {
      const res = await get(`${base}/${uid}/rendered`);
      t.is(res.status, status, uid);
      t.is(res.type, 'application/problem+json', uid);
      t.false(res.body.toString('utf8').includes(fake.url), 'no upstream URL leaks');
    }
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('a failure after the multipart answer started resets the connection', async (t) => {
  const fake = await startFakeUpstream((req, res) => {
    if (req.url?.startsWith(`${SERIES}/instances?`)) {
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      res.end(qidoInstances(['2.25.21', '2.25.22', '2.25.23']));
    } else if (req.url?.includes('/instances/2.25.21/')) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      res.end(jpeg);
    } else {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('fail');
    }
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 0 } });
  try {
    const res = await request(`${gw.url}/studies/2.25.1/series/2.25.2/rendered`);
    t.is(res.statusCode, 200);
    await t.throwsAsync(res.body.arrayBuffer(), undefined, 'the body must not end as if complete');
  } finally {
    await gw.close();
    await fake.close();
  }
});
