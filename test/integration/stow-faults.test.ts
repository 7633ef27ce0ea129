/**
 * STOW-RS against archives that misbehave (PS3.18 §10.5.3): unreachable,
 * resetting, answering without confirming, refusing, warning. Nothing may be
 * reported stored unless the archive confirmed it.
 */
import test from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { closedPortUrl, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway } from '../support/gateway.js';
import { commentOf, failureOf, items, stowFiles, warningOf } from '../fuzz/stow-client.js';

const [INSTANCE] = generateStudy({ patientName: 'Fault^Test', patientId: 'F1', birthDate: '19900101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances: 1 }] });
const SOP = INSTANCE!.sopInstanceUid;

function storeAnswer(status: number, body: object) {
  return (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/dicom+json' });
    res.end(JSON.stringify(body));
  };
}
const referenced = (extra: object = {}) => ({ '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: [SOP] }, ...extra }] } });

/** A fake archive: QIDO answers [] (nothing stored yet); POST /studies answers with `onStore` after reading the body. */
async function fakeArchive(onStore: (res: ServerResponse, attempt: number, req: IncomingMessage) => void) {
  let attempt = 0;
  return startFakeUpstream((req, res) => {
    if (req.method === 'GET') return storeAnswer(200, [])(res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onStore(res, ++attempt, req));
  });
}

test('an unreachable archive gives 503 with a clear message and Retry-After, nothing reported stored', async (t) => {
  for (const detectDuplicates of [true, false]) {
    const gw = await startGateway(await closedPortUrl(), { upstream: { retries: 0 }, stow: { detectDuplicates } });
    try {
      const res = await stowFiles(gw.url, [INSTANCE!.part10]);
      t.is(res.status, 503);
      const problem = JSON.parse(res.text) as { code: string; detail: string };
      t.is(problem.code, 'UPSTREAM_UNAVAILABLE');
      t.regex(problem.detail, /nothing was stored/);
      t.truthy(res.headers['retry-after']);
    } finally {
      await gw.close();
    }
  }
});

test('a connection reset before any answer is retried once the archive is back', async (t) => {
  const fake = await fakeArchive((res, attempt) => (attempt === 1 ? res.socket?.destroy() : storeAnswer(200, referenced())(res)));
  const gw = await startGateway(fake.url);
  try {
    const res = await stowFiles(gw.url, [INSTANCE!.part10]);
    t.is(res.status, 200, res.text);
    t.is(fake.requests.filter((r) => r.method === 'POST').length, 2);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('an archive that answers 200 without confirming the instance does not get it reported stored', async (t) => {
  const fake = await fakeArchive((res) => storeAnswer(200, { '00081199': { vr: 'SQ' } })(res));
  const gw = await startGateway(fake.url);
  try {
    const res = await stowFiles(gw.url, [INSTANCE!.part10]);
    t.is(res.status, 409);
    const failed = items(res.json(), '00081198')[0]!;
    t.is(failureOf(failed), 0x0110);
    t.regex(commentOf(failed), /did not confirm/);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('the archive\'s per-instance answer wins over its HTTP status (Orthanc: 400 although stored)', async (t) => {
  const cases: Array<[number, object, number, number | undefined]> = [
    [400, referenced(), 200, undefined],
    [200, referenced({ '00081196': { vr: 'US', Value: [0xb000] } }), 202, 0xb000],
    [409, { '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: [SOP] }, '00081197': { vr: 'US', Value: [0xa900] } }] } }, 409, 0xa900],
  ];
  for (const [status, body, expected, code] of cases) {
    const fake = await fakeArchive((res) => storeAnswer(status, body)(res));
    const gw = await startGateway(fake.url);
    try {
      const res = await stowFiles(gw.url, [INSTANCE!.part10]);
      t.is(res.status, expected, res.text);
      const item = items(res.json(), expected === 409 ? '00081198' : '00081199')[0]!;
      t.is(expected === 409 ? failureOf(item) : warningOf(item), code);
    } finally {
      await gw.close();
      await fake.close();
    }
  }
});

test('an archive answering 503 to stores gives 503; with other failures in the request, 409 with 0xA700 per instance', async (t) => {
  const fake = await fakeArchive((res) => {
    res.writeHead(503);
    res.end();
  });
  const gw = await startGateway(fake.url);
  try {
    t.is((await stowFiles(gw.url, [INSTANCE!.part10])).status, 503);
    const mixed = await stowFiles(gw.url, [INSTANCE!.part10, Buffer.from('garbage')]);
    t.is(mixed.status, 409);
    const failed = items(mixed.json(), '00081198');
    t.deepEqual(failed.map(failureOf), [0xa700, 0xc000]);
  } finally {
    await gw.close();
    await fake.close();
  }
});
