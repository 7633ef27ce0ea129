/**
 * WADO-RS retrieve and metadata through the gateway against a real Orthanc
 * (PS3.18 §10.4.1.1.1–2), plus stream faults a real Orthanc cannot produce.
 */
import anyTest, { type TestFn } from 'ava';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startFakeUpstream } from '../support/fake-upstream.js';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const STUDY: StudySpec = {
  patientName: 'Retrieve^Test', patientId: 'WADO-001', birthDate: '19700101', sex: 'F', studyDate: '20230301', studyInstanceUid: '2.25.3001',
  series: [
    { modality: 'CT', instances: 3, rows: 64, columns: 64, seriesInstanceUid: '2.25.3001.1' },
    { modality: 'MR', instances: 2, rows: 32, columns: 32, seriesInstanceUid: '2.25.3001.2' },
  ],
};
const fixture = useOrthanc(anyTest, [STUDY]);
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

async function parts(url: string, accept: string): Promise<{ status: number; contentType: string; parts: Buffer[] }> {
  const res = await request(url, { headers: { accept } });
  const contentType = String(res.headers['content-type']);
  const boundary = boundaryOf(contentType);
  if (!boundary) return { status: res.statusCode, contentType, parts: [Buffer.from(await res.body.text())] };
  const out: Buffer[] = [];
  await readMultipart(res.body as unknown as Readable, boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      out.push(Buffer.concat(chunks));
    },
  });
  return { status: res.statusCode, contentType, parts: out };
}

test('study, series and instance retrieve with transfer-syntax=* are byte-identical to what was stored', async (t) => {
  const { url } = t.context.gw;
  const stored = new Map(fixture().instances.map((i) => [i.sopInstanceUid, i.part10]));
  const study = await parts(`${url}/studies/2.25.3001`, ANY_TS);
  t.is(study.status, 200);
  t.regex(study.contentType, /^multipart\/related; type="application\/dicom"/);
  t.is(study.parts.length, 5);
  const storedBodies = new Set([...stored.values()].map((b) => b.toString('base64')));
  for (const p of study.parts) t.true(storedBodies.has(p.toString('base64')));
  t.is((await parts(`${url}/studies/2.25.3001/series/2.25.3001.2`, ANY_TS)).parts.length, 2);
  const one = fixture().instances[0]!;
  const single = await parts(`${url}/studies/${one.studyInstanceUid}/series/${one.seriesInstanceUid}/instances/${one.sopInstanceUid}`, ANY_TS);
  t.deepEqual(single.parts, [one.part10]);
});

test('default Accept gets Explicit VR Little Endian instances; unsupported Accept is 406', async (t) => {
  const { url } = t.context.gw;
  const res = await parts(`${url}/studies/2.25.3001/series/2.25.3001.1`, 'multipart/related; type="application/dicom"');
  t.is(res.status, 200);
  t.is(res.parts.length, 3);
  t.true(res.parts[0]!.includes(Buffer.from('1.2.840.10008.1.2.1')));
  const refused = await request(`${url}/studies/2.25.3001`, { headers: { accept: 'application/zip' } });
  t.is(refused.statusCode, 406);
  const body = JSON.parse(await refused.body.text()) as { supported: string[] };
  t.true(body.supported.some((s) => s.includes('application/dicom')));
});

test('unknown study is 404 for retrieve and metadata', async (t) => {
  const { url } = t.context.gw;
  for (const path of ['/studies/2.25.999', '/studies/2.25.999/metadata', '/studies/2.25.3001/series/2.25.999/metadata']) {
    const res = await request(url + path, { headers: { accept: '*/*' } });
    await res.body.dump();
    t.is(res.statusCode, 404, path);
  }
});

test('metadata: gateway BulkDataURIs, no upstream address, cached, gzip and 304', async (t) => {
  const { url } = t.context.gw;
  const first = await request(`${url}/studies/2.25.3001/series/2.25.3001.1/metadata`);
  const text = await first.body.text();
  t.is(first.statusCode, 200);
  t.is(first.headers['content-type'], 'application/dicom+json');
  t.is(first.headers['x-gateway-cache'], 'MISS');
  const metadata = JSON.parse(text) as Array<Record<string, { BulkDataURI?: string }>>;
  t.is(metadata.length, 3);
  const pixel = metadata[0]!['7FE00010']!.BulkDataURI!;
  t.true(pixel.startsWith(`${url}/studies/2.25.3001/series/2.25.3001.1/instances/`), pixel);
  t.false(text.includes(fixture().orthanc.dicomWebUrl));
  const second = await request(`${url}/studies/2.25.3001/series/2.25.3001.1/metadata`, { headers: { 'accept-encoding': 'gzip' } });
  await second.body.dump();
  t.is(second.headers['x-gateway-cache'], 'HIT');
  t.is(second.headers['content-encoding'], 'gzip');
  const etag = String(second.headers.etag);
  const third = await request(`${url}/studies/2.25.3001/series/2.25.3001.1/metadata`, { headers: { 'if-none-match': etag } });
  await third.body.dump();
  t.is(third.statusCode, 304);
});

test('an upstream that dies mid-stream resets the client connection', async (t) => {
  const fake = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=XYZ' });
    res.write('--XYZ\r\nContent-Type: application/dicom\r\n\r\n');
    res.write(Buffer.alloc(64 * 1024, 1));
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await request(`${gw.url}/studies/1.2.3`, { headers: { accept: ANY_TS } });
    t.is(res.statusCode, 200);
    await t.throwsAsync(res.body.arrayBuffer());
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('an upstream body broken in the same read as its head is a 502, not a cut connection', async (t) => {
  const fake = await startFakeUpstream((req) => {
    // Raw bytes: a chunked answer whose first chunk size is not hexadecimal.
    req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: multipart/related; type="application/dicom"; boundary=XYZ\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n--XYZ\r\n');
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 0 } });
  try {
    const res = await request(`${gw.url}/studies/1.2.3`, { headers: { accept: ANY_TS } });
    const problem = (await res.body.json()) as { code: string; detail: string };
    t.is(res.statusCode, 502);
    t.is(problem.code, 'UPSTREAM_BAD_RESPONSE');
    t.regex(problem.detail, /malformed HTTP response/);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('an upstream that fails after its head, before its first body byte, is a 502, not a cut connection', async (t) => {
  const fake = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=XYZ' });
    res.flushHeaders();
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const gw = await startGateway(fake.url, { upstream: { retries: 0 } });
  try {
    const res = await request(`${gw.url}/studies/1.2.3`, { headers: { accept: ANY_TS } });
    const problem = (await res.body.json()) as { code: string; detail: string };
    t.is(res.statusCode, 502);
    t.is(problem.code, 'UPSTREAM_UNREACHABLE');
    t.regex(problem.detail, /closed/);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('an upstream body that ends cleanly without the closing delimiter is not passed off as complete', async (t) => {
  const fake = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=XYZ', connection: 'close' });
    res.end('--XYZ\r\nContent-Type: application/dicom\r\n\r\npartial');
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await request(`${gw.url}/studies/1.2.3`, { headers: { accept: ANY_TS } });
    await t.throwsAsync(res.body.arrayBuffer());
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('a client that disconnects aborts the upstream request', async (t) => {
  let upstreamClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  const fake = await startFakeUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=XYZ' });
    const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
    req.socket.once('close', () => {
      clearInterval(timer);
      upstreamClosed();
    });
  });
  const gw = await startGateway(fake.url);
  try {
    const controller = new AbortController();
    const res = await request(`${gw.url}/studies/1.2.3`, { headers: { accept: ANY_TS }, signal: controller.signal });
    await new Promise<void>((resolve) => res.body.once('data', () => resolve()));
    controller.abort();
    await closed;
    t.pass();
  } finally {
    await gw.close();
    await fake.close();
  }
});
