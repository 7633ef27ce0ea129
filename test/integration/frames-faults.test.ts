/**
 * Frame retrieval (PS3.18 §10.4.1.1.6) against a fake upstream, for what a
 * real Orthanc will not do on demand: count instance downloads, stall, reset
 * mid-stream, and watch its socket close when the client leaves.
 */
import anyTest, { type TestFn } from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { startGateway } from '../support/gateway.js';
import { startFakeUpstream } from '../support/fake-upstream.js';
import { AS_STORED, expectedFrames, getFrames, sha256, type ExpectedInstance } from '../support/frames-expect.js';
import { closingDelimiter, partHeader } from '../../src/http/multipart.js';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ instance: GeneratedInstance; expected: ExpectedInstance }>;
const BOUNDARY = 'fake-boundary-1234';

test.before(async (t) => {
  const [instance] = generateStudy({
    patientName: 'Fake^Frames', patientId: 'FAKE-1', birthDate: '19900101', sex: 'F', studyDate: '20240202', studyInstanceUid: '2.25.8001',
    series: [{ modality: 'CT', instances: 1, rows: 8, columns: 8, frames: 24, seriesInstanceUid: '2.25.8001.1' }],
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'frames-faults-'));
  try {
    await writeFile(path.join(dir, 'i.dcm'), instance!.part10);
    t.context.instance = instance!;
    t.context.expected = (await expectedFrames([path.join(dir, 'i.dcm')])).get(path.join(dir, 'i.dcm'))!;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function instancePathOf(i: GeneratedInstance): string {
  return `/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;
}

function sendInstance(res: ServerResponse, part10: Buffer, delayMs = 0): void {
  const body = Buffer.concat([partHeader(BOUNDARY, { 'Content-Type': 'application/dicom' }, true), part10, closingDelimiter(BOUNDARY)]);
  setTimeout(() => {
    res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`, 'content-length': body.length });
    res.end(body);
  }, delayMs);
}

const isInstanceRequest = (req: IncomingMessage) => !req.url!.includes('/frames/') && !req.url!.includes('/bulk/');

test('20 parallel frame requests for an uncached instance cause one instance download', async (t) => {
  let downloads = 0;
  const fake = await startFakeUpstream((req, res) => {
    if (isInstanceRequest(req)) {
      downloads++;
      sendInstance(res, t.context.instance.part10, 200);
    } else res.writeHead(500).end('{"Message":"not today"}');
  });
  const gw = await startGateway(fake.url);
  try {
    const base = `${gw.url}${instancePathOf(t.context.instance)}/frames`;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => getFrames(`${base}/${i + 1}`, AS_STORED)));
    answers.forEach((a, i) => {
      t.is(a.status, 200, a.text);
      t.is(sha256(a.parts[0]!.body), t.context.expected.frameSha256![i]!);
    });
    t.is(downloads, 1);
    t.is(fake.requests.filter((r) => r.url.endsWith('/frames/1')).length, 1, 'frame 1 was asked of the upstream first');
  } finally {
    await gw.close();
    await fake.close();
  }
});

/** A frames answer that never ends: a part header, then 16 KiB every 10 ms until the socket closes. */
function endlessFrame(res: ServerResponse, onClose: () => void): void {
  res.writeHead(200, { 'content-type': `multipart/related; type="application/octet-stream"; boundary=${BOUNDARY}` });
  res.write(partHeader(BOUNDARY, { 'Content-Type': 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', 'Content-Length': String(1 << 30) }, true));
  const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 7)), 10);
  res.on('close', () => {
    clearInterval(timer);
    onClose();
  });
}

test('a client leaving mid-stream aborts the upstream request', async (t) => {
  let upstreamClosed!: () => void;
  const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  const fake = await startFakeUpstream((req, res) => {
    if (req.url!.endsWith('/frames/1')) endlessFrame(res, upstreamClosed);
    else res.writeHead(404).end();
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await request(`${gw.url}${instancePathOf(t.context.instance)}/frames/1`, { headers: { accept: AS_STORED } });
    t.is(res.statusCode, 200);
    t.is(res.headers['x-gateway-cache'], 'BYPASS');
    let received = 0;
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (received > 64 * 1024) break; // leaving the loop destroys the body: the client hangs up
    }
    await closed;
    t.pass('the fake upstream saw its socket close');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('an upstream reset mid-stream reaches the client as a cut connection, not a clean end', async (t) => {
  const fake = await startFakeUpstream((req, res) => {
    res.writeHead(200, { 'content-type': `multipart/related; type="application/octet-stream"; boundary=${BOUNDARY}` });
    res.write(partHeader(BOUNDARY, { 'Content-Type': 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', 'Content-Length': '100000' }, true));
    res.write(Buffer.alloc(5000, 1));
    setTimeout(() => req.socket.destroy(), 50);
  });
  try {
    // A gateway per Accept: the first request for an instance is the one that is relayed.
    for (const accept of [AS_STORED, 'application/octet-stream; transfer-syntax=*']) {
      const gw = await startGateway(fake.url);
      try {
        const res = await request(`${gw.url}${instancePathOf(t.context.instance)}/frames/1`, { headers: { accept } });
        t.is(res.statusCode, 200);
        t.not(res.headers['content-length'], undefined, 'the length was announced, so a short body is visibly short');
        await t.throwsAsync(res.body.arrayBuffer());
      } finally {
        await gw.close();
      }
    }
  } finally {
    await fake.close();
  }
});

test('an instance download cut every time is 502 after three tries, nothing cached', async (t) => {
  let downloads = 0;
  const fake = await startFakeUpstream((req, res) => {
    if (!isInstanceRequest(req)) return void res.writeHead(500).end();
    downloads++;
    res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`, 'content-length': 100000 });
    res.write(partHeader(BOUNDARY, { 'Content-Type': 'application/dicom' }, true));
    res.write(t.context.instance.part10.subarray(0, 1000));
    setTimeout(() => req.socket.destroy(), 20);
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 0 } });
  try {
    const res = await getFrames(`${gw.url}${instancePathOf(t.context.instance)}/frames/2`, AS_STORED);
    t.is(res.status, 502, res.text);
    t.is(JSON.parse(res.text).code, 'UPSTREAM_UNREACHABLE');
    t.is(downloads, 3);
    t.is((gw.gateway.statusSources.instanceStore!() as { entries: number }).entries, 0);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('relayed frames get standard headers and none of the upstream\'s URLs', async (t) => {
  const frame = Buffer.alloc(128, 9);
  const fake = await startFakeUpstream((req, res) => {
    const location = `http://${req.headers.host}/dicom-web${req.url}`;
    const body = Buffer.concat([partHeader(BOUNDARY, { 'Content-Type': 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2', 'Content-Location': location, 'Content-Length': '128' }, true), frame, closingDelimiter(BOUNDARY)]);
    res.writeHead(200, { 'content-type': `multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2"; boundary=${BOUNDARY}`, 'content-length': body.length });
    res.end(body);
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await getFrames(`${gw.url}${instancePathOf(t.context.instance)}/frames/1`, AS_STORED);
    t.is(res.status, 200);
    t.regex(String(res.headers['content-type']), /^multipart\/related; type="application\/octet-stream"; boundary=[^;"]+; transfer-syntax=1\.2\.840\.10008\.1\.2\.1$/);
    t.is(res.parts[0]!.headers['content-type'], 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    t.is(res.parts[0]!.headers['content-location'], `${gw.url}${instancePathOf(t.context.instance)}/frames/1`);
    t.deepEqual(res.parts[0]!.body, frame);
    t.false(JSON.stringify(res.headers).includes(new URL(fake.url).host));
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('instances above instanceCacheMaxInstanceBytes are never stored: their frames are relayed', async (t) => {
  let downloads = 0;
  const fake = await startFakeUpstream((req, res) => {
    if (isInstanceRequest(req)) {
      downloads++;
      return sendInstance(res, t.context.instance.part10);
    }
    const body = Buffer.concat([partHeader(BOUNDARY, { 'Content-Type': 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', 'Content-Length': '4' }, true), Buffer.from('abcd'), closingDelimiter(BOUNDARY)]);
    res.writeHead(200, { 'content-type': `multipart/related; type="application/octet-stream"; boundary=${BOUNDARY}`, 'content-length': body.length });
    res.end(body);
  });
  const gw = await startGateway(fake.url, { wado: { instanceCacheMaxInstanceBytes: 1024 } });
  try {
    for (const frame of [2, 3, 4]) {
      const res = await getFrames(`${gw.url}${instancePathOf(t.context.instance)}/frames/${frame}`, AS_STORED);
      t.is(res.status, 200, res.text);
      t.is(res.headers['x-gateway-cache'], 'BYPASS');
      t.is(res.parts[0]!.body.toString(), 'abcd');
    }
    t.is(downloads, 1, 'tried once, then remembered as too large');
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('bulk data answered with a non-multipart body is a 502, and the gateway keeps serving', async (t) => {
  const fake = await startFakeUpstream((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200_000)));
  const gw = await startGateway(fake.url);
  try {
    for (let i = 0; i < 5; i++) {
      const res = await request(`${gw.url}/studies/1.2.3/series/4.5.6/instances/7.8.9/bulk/7fe00010`, { headers: { accept: 'application/octet-stream' } });
      const body = JSON.parse(await res.body.text()) as { code: string };
      t.is(res.statusCode, 502);
      t.is(body.code, 'UPSTREAM_BAD_RESPONSE');
    }
    const health = await request(`${gw.origin}/healthz`);
    await health.body.dump();
    t.is(health.statusCode, 200);
  } finally {
    await gw.close();
    await fake.close();
  }
});
