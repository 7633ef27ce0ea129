/**
 * STOW-RS instances go to the archive several per request (stow.upstreamBatchInstances,
 * src/dicomweb/stow/batcher.ts), and the archive's per-instance answer (PS3.18
 * Annex I) decides each instance's outcome: a fake archive that records which
 * instances each of its store requests carried.
 */
import test from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';
import { startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway } from '../support/gateway.js';
import { failureOf, items, sopOf, stowFiles } from '../fuzz/stow-client.js';

const INSTANCES = generateStudy({ patientName: 'Batch^Test', patientId: 'B1', birthDate: '19900101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances: 12, rows: 32, columns: 32 }] });
const FILES = INSTANCES.map((i) => i.part10);

type Row = Record<string, { vr: string; Value: unknown[] }>;
const sopItem = (sop: string, extra: object = {}) => ({ '00081155': { vr: 'UI', Value: [sop] }, ...extra });
const rowOf = (i: (typeof INSTANCES)[number]): Row => ({
  '00080018': { vr: 'UI', Value: [i.sopInstanceUid] },
  '0020000D': { vr: 'UI', Value: [i.studyInstanceUid] },
  '0020000E': { vr: 'UI', Value: [i.seriesInstanceUid] },
});

/** The SOP Instance UIDs of a store request's parts, in order (each part is one of INSTANCES, byte for byte). */
async function partsOf(req: IncomingMessage): Promise<string[]> {
  const sops: string[] = [];
  await readMultipart(req, boundaryOf(req.headers['content-type'])!, {
    onPart: async (part) => {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      const data = Buffer.concat(chunks);
      sops.push(INSTANCES.find((i) => i.part10.equals(data))?.sopInstanceUid ?? 'unknown part');
    },
  });
  return sops;
}

interface Archive {
  /** Parts of each store request, in arrival order. */
  batches: string[][];
  /** Instances the archive holds (QIDO answers them). */
  held: Set<string>;
}

/** A fake archive: QIDO answers the held instances of the UID list; each store request gets `answer`. */
async function fakeArchive(answer: (res: ServerResponse, sops: string[], archive: Archive) => void) {
  const archive: Archive = { batches: [], held: new Set() };
  const fake = await startFakeUpstream((req, res) => {
    if (req.method === 'GET') {
      const asked = (new URL(req.url!, 'http://x').searchParams.get('SOPInstanceUID') ?? '').split(',');
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      return res.end(JSON.stringify(INSTANCES.filter((i) => asked.includes(i.sopInstanceUid) && archive.held.has(i.sopInstanceUid)).map(rowOf)));
    }
    void partsOf(req).then((sops) => {
      archive.batches.push(sops);
      answer(res, sops, archive);
    });
  });
  return { fake, archive };
}

function storeAll(res: ServerResponse, sops: string[], archive: Archive): void {
  for (const s of sops) archive.held.add(s);
  res.writeHead(200, { 'content-type': 'application/dicom+json' });
  res.end(JSON.stringify({ '00081199': { vr: 'SQ', Value: sops.map((s) => sopItem(s)) } }));
}

test('12 instances in one request reach the archive as requests of at most stow.upstreamBatchInstances, each instance once', async (t) => {
  for (const [batch, expected] of [[5, [2, 5, 5]], [1, Array(12).fill(1)]] as const) {
    const { fake, archive } = await fakeArchive(storeAll);
    const gw = await startGateway(fake.url, { stow: { upstreamBatchInstances: batch } });
    try {
      const res = await stowFiles(gw.url, FILES);
      t.is(res.status, 200, res.text);
      t.is(items(res.json(), '00081199').length, 12);
      t.deepEqual(archive.batches.map((b) => b.length).sort((a, b) => a - b), [...expected]);
      t.deepEqual(archive.batches.flat().sort(), INSTANCES.map((i) => i.sopInstanceUid).sort());
    } finally {
      await gw.close();
      await fake.close();
    }
  }
});

test('an instance the archive refuses inside a batch fails alone; the others of its batch are stored', async (t) => {
  const refused = INSTANCES[2]!.sopInstanceUid;
  const { fake } = await fakeArchive((res, sops) => {
    res.writeHead(400, { 'content-type': 'application/dicom+json' }); // Orthanc's status for a partial success
    res.end(JSON.stringify({
      '00081199': { vr: 'SQ', Value: sops.filter((s) => s !== refused).map((s) => sopItem(s)) },
      ...(sops.includes(refused) && { '00081198': { vr: 'SQ', Value: [sopItem(refused, { '00081197': { vr: 'US', Value: [0xa900] } })] } }),
    }));
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await stowFiles(gw.url, FILES.slice(0, 5));
    t.is(res.status, 202, res.text);
    t.deepEqual(items(res.json(), '00081199').map(sopOf).sort(), INSTANCES.slice(0, 5).map((i) => i.sopInstanceUid).filter((s) => s !== refused).sort());
    const failed = items(res.json(), '00081198');
    t.deepEqual(failed.map(sopOf), [refused]);
    t.is(failureOf(failed[0]!), 0xa900);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('a batch the archive never answers: only the instances a QIDO then finds are reported stored', async (t) => {
  // The archive stores the first two of each batch, then hangs without answering.
  const { fake } = await fakeArchive((_res, sops, archive) => sops.slice(0, 2).forEach((s) => archive.held.add(s)));
  const gw = await startGateway(fake.url, { upstream: { headersTimeoutMs: 400, retries: 0 }, stow: { detectDuplicates: false } });
  try {
    const res = await stowFiles(gw.url, FILES.slice(0, 5));
    t.is(res.status, 202, res.text);
    t.deepEqual(items(res.json(), '00081199').map(sopOf).sort(), INSTANCES.slice(0, 2).map((i) => i.sopInstanceUid).sort());
    const failed = items(res.json(), '00081198');
    t.is(failed.length, 3);
    for (const f of failed) t.is(failureOf(f), 0xa700);
  } finally {
    await gw.close();
    await fake.close();
  }
});
