// End-to-end checks of the test tooling itself: the throw-away Orthanc, the
// synthetic fixtures and the loader, against the real Debian Orthanc.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { orthancAvailable, startOrthanc } from '../scripts/orthanc/harness.js';
import { generateStudy, type StudySpec } from '../scripts/fixtures/generate.js';
import { loadIntoOrthanc, sampleFiles, samplesDir } from '../scripts/fixtures/load.js';

const available = orthancAvailable();
const cc = spawnSync('cc', ['--version']).status === 0;

async function getJson(url: string): Promise<{ status: number; json: unknown }> {
  const res = await request(url, { headers: { accept: 'application/dicom+json' } });
  return { status: res.statusCode, json: await res.body.json() };
}

async function orthancIdOf(baseUrl: string, sopInstanceUid: string): Promise<string> {
  const res = await request(`${baseUrl}/tools/lookup`, { method: 'POST', body: sopInstanceUid });
  const found = (await res.body.json()) as Array<{ ID: string; Type: string }>;
  const hit = found.find((f) => f.Type === 'Instance');
  if (!hit) throw new Error(`instance ${sopInstanceUid} not found in Orthanc`);
  return hit.ID;
}

/** Sizes (KiB) of the thread stacks of a Linux process: rw mappings right after a guard page. */
function threadStacksKiB(pid: number): number[] {
  const sizes: number[] = [];
  let previous: { end: number; perms: string } | undefined;
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n')) {
    const [range = '', perms = '', , , , name] = line.split(/\s+/);
    const [start = 0, end = 0] = range.split('-').map((h) => parseInt(h, 16));
    if (previous?.perms === '---p' && perms === 'rw-p' && !name && previous.end === start) sizes.push((end - start) / 1024);
    previous = { end, perms };
  }
  return sizes;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const spec: StudySpec = {
  patientName: 'Dvořák^Anežka',
  patientId: `HARNESS-${process.pid}`,
  birthDate: '19800229',
  sex: 'F',
  studyDate: '20240301',
  studyTime: '093000',
  accessionNumber: 'ACC0001',
  studyDescription: 'CT CHEST / MR BRAIN',
  series: [
    { modality: 'CT', instances: 3, seriesDescription: 'AXIAL 2.5mm' },
    { modality: 'MR', instances: 3, seriesDescription: 'T2 TSE AX', rows: 48, columns: 40 },
  ],
};

test('harness: start, load a generated study, query, retrieve, render, stop', async (t) => {
  if (!available.ok) return t.fail(`Orthanc not available: ${available.reason}`);
  const orthanc = await startOrthanc();
  const tempDir = path.dirname(orthanc.storageDir);
  try {
    // Crash 1 workaround: civetweb's 50 worker threads get 100 KiB stacks
    // unless the shim raised them. (The heuristic also counts a non-stack
    // mapping or two, hence no "every".)
    const stacks = threadStacksKiB(orthanc.pid);
    const detail = `thread stacks (KiB): ${stacks.join(',')}`;
    if (cc) t.true(stacks.filter((kib) => kib >= 8192).length >= 50 && !stacks.some((kib) => kib <= 128), detail);
    else t.log('no C compiler: Orthanc runs without the thread-stack LD_PRELOAD shim');

    const instances = generateStudy(spec);
    t.is(instances.length, 6);
    const loaded = await loadIntoOrthanc(orthanc.baseUrl, instances.map((i) => i.part10));
    t.deepEqual(loaded, { stored: 6, failed: [] });

    const qido = await getJson(`${orthanc.dicomWebUrl}/studies?PatientID=${spec.patientId}`);
    t.is(qido.status, 200);
    const studies = qido.json as Array<Record<string, { Value?: unknown[] }>>;
    t.is(studies.length, 1);
    const [study] = studies;
    const first = instances[0]!;
    t.deepEqual(study?.['0020000D']?.Value, [first.studyInstanceUid]);
    t.deepEqual(study?.['00201208']?.Value, [6]);
    // Non-Latin-1 characters survive only with DefaultEncoding Utf8.
    t.deepEqual(study?.['00100010']?.Value, [{ Alphabetic: spec.patientName }]);

    const target = instances[4]!;
    const wado = await request(
      `${orthanc.dicomWebUrl}/studies/${target.studyInstanceUid}/series/${target.seriesInstanceUid}/instances/${target.sopInstanceUid}`,
      { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } },
    );
    const body = Buffer.from(await wado.body.arrayBuffer());
    t.is(wado.statusCode, 200);
    t.regex(String(wado.headers['content-type']), /^multipart\/related/);
    t.true(body.includes(Buffer.from(target.sopInstanceUid, 'latin1')));

    const id = await orthancIdOf(orthanc.baseUrl, target.sopInstanceUid);
    const preview = await request(`${orthanc.baseUrl}/instances/${id}/preview`, { headers: { accept: 'image/png' } });
    const png = Buffer.from(await preview.body.arrayBuffer());
    t.is(preview.statusCode, 200);
    t.is(preview.headers['content-type'], 'image/png');
    t.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  } finally {
    await orthanc.stop();
  }
  t.false(isAlive(orthanc.pid), `Orthanc PID ${orthanc.pid} still running after stop()`);
  t.false(existsSync(tempDir), `temp dir ${tempDir} left behind`);
});

const samples = samplesDir();
if (samples && existsSync(samples)) {
  test('harness: every valid shared sample is stored by Orthanc', async (t) => {
    if (!available.ok) return t.fail(`Orthanc not available: ${available.reason}`);
    const files: Array<{ path: string; data: Buffer }> = [];
    for await (const file of sampleFiles(samples)) files.push(file);
    t.log(`${files.length} sample files under ${samples}`);
    t.true(files.length > 0);
    const orthanc = await startOrthanc();
    try {
      const loaded = await loadIntoOrthanc(orthanc.baseUrl, files.map((f) => f.data));
      const failures = loaded.failed.map((f) => `${files[f.index]?.path}: ${f.status} ${f.body.slice(0, 200)}`);
      t.deepEqual(failures, []);
      t.is(loaded.stored, files.length);
    } finally {
      await orthanc.stop();
    }
  });
} else {
  test('harness: shared samples (not found)', (t) => {
    t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
    t.pass();
  });
}
