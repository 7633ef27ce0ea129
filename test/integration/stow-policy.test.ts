/**
 * STOW-RS policies, limits, media types and cache invalidation through the
 * gateway against a real Orthanc (PS3.18 §10.5; policy config `stow.policies`).
 */
import anyTest, { type TestFn } from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway } from '../support/gateway.js';
import { commentOf, failureOf, freshCopy, items, postStow, rewrite, stowFiles, warningOf } from '../fuzz/stow-client.js';
import { spoolDirectory } from '../../src/dicomweb/stow/spool.js';

/** What this process left in its spool folder (the folder may not exist). */
const spooled = async (spoolDir: string): Promise<string[]> => readdir(spoolDirectory(spoolDir)).catch(() => []);

const test = anyTest as TestFn;

const EXISTING: StudySpec = {
  patientName: 'Doe^Jane', patientId: 'STOW-P1', birthDate: '19700101', sex: 'F', studyDate: '20240101', studyInstanceUid: '2.25.7001',
  series: [{ modality: 'CT', instances: 1, seriesInstanceUid: '2.25.7001.1' }],
};
const fixture = useOrthanc(anyTest, [EXISTING]);

const AI_POLICY = {
  name: 'ai', match: { header: { name: 'X-Client', value: 'ai-pipeline' } },
  allowedSopClasses: ['SR', 'SEG', 'SC', 'GSPS', 'KO', '1.2.840.10008.5.1.4.1.1.4'], requireExistingStudy: true, requireMatchingPatient: true, maxInstanceBytes: 200_000,
};

/** An MR instance generated for a study (MR is allowed by the AI policy above). */
function mrFor(study: string, patient: { id: string; name: string; birthDate: string }, rows = 64): Buffer {
  const [instance] = generateStudy({
    patientName: patient.name, patientId: patient.id, birthDate: patient.birthDate, sex: 'F', studyDate: '20240102', studyInstanceUid: study,
    series: [{ modality: 'MR', instances: 1, rows, columns: rows }],
  });
  return instance!.part10;
}

const JANE = { id: 'STOW-P1', name: 'Doe^Jane', birthDate: '19700101' };

test('the AI policy refuses SOP classes, new studies, other patients and large instances with specific reasons', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { stow: { policies: [AI_POLICY] } });
  try {
    const ai = { headers: { 'x-client': 'ai-pipeline' } };
    const ct = generateStudy({ ...EXISTING, series: [{ modality: 'CT', instances: 1 }] })[0]!.part10;
    const cases: Array<[Buffer, number, RegExp]> = [
      [ct, 0x0122, /SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2 may not be stored by policy "ai"/],
      [mrFor('2.25.7999', JANE), 0x0124, /does not exist in the archive/],
      [mrFor('2.25.7001', { ...JANE, id: 'OTHER' }), 0xa900, /PatientID .* differs/],
      [mrFor('2.25.7001', { ...JANE, name: 'Smith^John' }), 0xa900, /PatientName .* differs/],
      [mrFor('2.25.7001', { ...JANE, birthDate: '19800101' }), 0xa900, /PatientBirthDate .* differs/],
      [mrFor('2.25.7001', JANE, 512), 0xa700, /larger than policy "ai" allows/],
    ];
    const res = await stowFiles(gw.url, cases.map((c) => c[0]), ai);
    t.is(res.status, 409);
    const failed = items(res.json(), '00081198');
    for (const [i, [, code, text]] of cases.entries()) {
      t.is(failureOf(failed[i]!), code, commentOf(failed[i]!));
      t.regex(commentOf(failed[i]!), text);
    }
    const ok = await stowFiles(gw.url, [mrFor('2.25.7001', { ...JANE, name: 'DOE^JANE^^' })], ai);
    t.is(ok.status, 200, ok.text.slice(0, 300));
    // Without the header the policy does not apply.
    const open = await stowFiles(gw.url, [ct]);
    t.true([200, 202].includes(open.status));
  } finally {
    await gw.close();
  }
});

test('large parts are spooled to disk and the spool folder is empty afterwards', async (t) => {
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'stow-spool-test-'));
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { stow: { memoryPartBytes: 1024, spoolDir } });
  try {
    const big = mrFor('2.25.7002', JANE, 512);
    const res = await stowFiles(gw.url, [big, freshCopy(big)]);
    t.is(res.status, 200, res.text.slice(0, 300));
    t.deepEqual(await spooled(spoolDir), []);
  } finally {
    await gw.close();
    await rm(spoolDir, { recursive: true, force: true });
  }
});

test('limits answer 413 naming the limit; wrong media types 415; a missing boundary 400; unacceptable Accept 406', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { stow: { maxRequestBytes: 100_000, maxPartBytes: 20_000, maxParts: 2 } });
  try {
    const small = mrFor('2.25.7003', JANE, 32);
    const problem = (text: string) => JSON.parse(text) as { status: number; code: string; limit?: string };
    const tooMany = await stowFiles(gw.url, [small, freshCopy(small), freshCopy(small)]);
    t.is(tooMany.status, 202, 'two stored, then the third part hits stow.maxParts');
    t.regex(commentOf(items(tooMany.json(), '0008119A')[0]!), /stow\.maxParts/);
    const onlyOver = await stowFiles(gw.url, [mrFor('2.25.7003', JANE, 128)]);
    t.is(onlyOver.status, 413);
    t.is(problem(onlyOver.text).limit, 'stow.maxPartBytes');
    const body = { contentType: 'multipart/related; type="application/dicom"; boundary=x', body: Buffer.alloc(200_000) };
    const huge = await postStow(gw.url, body);
    t.is(huge.status, 413);
    t.is(problem(huge.text).limit, 'stow.maxRequestBytes');
    t.is((await postStow(gw.url, { contentType: 'image/jpeg', body: Buffer.from('x') })).status, 415);
    t.is((await postStow(gw.url, { contentType: 'multipart/related; type="application/dicom+xml"; boundary=a', body: Buffer.from('x') })).status, 415);
    t.is((await postStow(gw.url, { contentType: 'multipart/related; type=application/dicom', body: Buffer.from('x') })).status, 400);
    t.is((await stowFiles(gw.url, [small], { accept: 'text/html' })).status, 406);
    const unquoted = await postStow(gw.url, { contentType: 'multipart/related; boundary=b0; type=application/dicom', body: Buffer.concat([Buffer.from('--b0\r\nContent-Type: application/dicom\r\n\r\n'), freshCopy(small), Buffer.from('\r\n--b0--\r\n')]) });
    t.is(unquoted.status, 200, unquoted.text.slice(0, 200));
    t.is((await postStow(gw.url, { contentType: 'application/dicom', body: freshCopy(small) })).status, 200);
  } finally {
    await gw.close();
  }
});

test('a store invalidates the cached searches of its study, so the new instance shows at once', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    const study = '2.25.7004';
    const first = await stowFiles(gw.url, [mrFor(study, JANE)]);
    t.is(first.status, 200);
    const count = async () => {
      const res = await request(`${gw.url}/studies/${study}/instances`, { headers: { accept: 'application/dicom+json' } });
      return (JSON.parse(await res.body.text()) as unknown[]).length;
    };
    t.is(await count(), 1);
    t.is(await count(), 1); // now cached
    t.is((await stowFiles(gw.url, [mrFor(study, JANE)])).status, 200);
    t.is(await count(), 2);
  } finally {
    await gw.close();
  }
});

test('an instance whose SOP Instance UID already names an instance of another study is refused (0x0111)', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    const original = mrFor('2.25.7005', JANE);
    t.is((await stowFiles(gw.url, [original])).status, 200);
    const clash = rewrite(original, { '0020000D': { vr: 'UI', Value: ['2.25.7006'] } });
    const res = await stowFiles(gw.url, [clash]);
    t.is(res.status, 409);
    t.is(failureOf(items(res.json(), '00081198')[0]!), 0x0111);
    const same = await stowFiles(gw.url, [original]);
    t.is(warningOf(items(same.json(), '00081199')[0]!), 0xb00e);
  } finally {
    await gw.close();
  }
});
