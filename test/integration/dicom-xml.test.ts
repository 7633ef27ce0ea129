/**
 * DICOMweb answers as XML (multipart/related; type="application/dicom+xml",
 * PS3.19 A.1) through the gateway against a real Orthanc. WADO-RS metadata
 * (PS3.18 §10.4.1.1.2): one Native DICOM Model part per instance, each equal to
 * what DCMTK's dcm2xml writes for the stored file (test/support/
 * native-xml-compare.py), with BulkData URIs on the gateway; JSON stays the
 * default; ETag revalidation works. QIDO-RS (§10.6.3): one part per result.
 */
import anyTest, { type TestFn } from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { python } from '../support/frames-expect.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const run = promisify(execFile);
const compareScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/native-xml-compare.py');
const XML = 'multipart/related; type="application/dicom+xml"';
const STUDY: StudySpec = {
  patientName: 'Müller^Jürgen', patientId: 'XML-001', birthDate: '19650203', sex: 'M', studyDate: '20240105', studyInstanceUid: '2.25.8801',
  series: [{ modality: 'CT', instances: 3, rows: 32, columns: 32, seriesInstanceUid: '2.25.8801.1' }],
};
const SERIES = '/studies/2.25.8801/series/2.25.8801.1/metadata';

const fixture = useOrthanc(test as unknown as TestFn, [STUDY]);
test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

async function xmlParts(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; parts: Array<{ type: string; xml: string }> }> {
  const res = await request(url, { headers: { accept: XML, ...headers } });
  const boundary = boundaryOf(String(res.headers['content-type'] ?? ''));
  const parts: Array<{ type: string; xml: string }> = [];
  if (res.statusCode !== 200 || !boundary) {
    await res.body.dump();
    return { status: res.statusCode, headers: res.headers, parts };
  }
  await readMultipart(res.body, boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      parts.push({ type: String(part.headers['content-type'] ?? ''), xml: Buffer.concat(chunks).toString('utf8') });
    },
  });
  return { status: res.statusCode, headers: res.headers, parts };
}

test('series metadata in XML: one Native DICOM Model per instance, as DCMTK writes the stored files', async (t) => {
  const { gw } = t.context;
  const answer = await xmlParts(gw.url + SERIES);
  t.is(answer.status, 200);
  t.regex(String(answer.headers['content-type']), /^multipart\/related; type="application\/dicom\+xml"; boundary=/);
  t.is(answer.parts.length, 3);
  const py = await python();
  const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-metadata-xml-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  for (const part of answer.parts) {
    t.regex(part.type, /^application\/dicom\+xml/);
    t.regex(part.xml, /<BulkData uri="http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies\/2\.25\.8801\/series\/2\.25\.8801\.1\/instances\/[0-9.]+\/bulk\/7FE00010"\/>/i);
    t.false(part.xml.includes(fixture().orthanc.dicomWebUrl), 'no upstream URL');
    const sop = /tag="00080018"[^>]*>\s*<Value number="1">([0-9.]+)</.exec(part.xml)?.[1];
    const instance = fixture().instances.find((i) => i.sopInstanceUid === sop)!;
    t.truthy(instance, `part names a stored instance (${sop})`);
    const stored = path.join(work, `${sop}.dcm`);
    const ours = path.join(work, `${sop}.xml`);
    writeFileSync(stored, instance.part10);
    writeFileSync(ours, part.xml);
    const compared = await run(py.cmd, [compareScript, stored, ours], { env: py.env });
    t.deepEqual(JSON.parse(compared.stdout), [], `instance ${sop}`);
  }
});

test('JSON stays the default; XML only when preferred; the XML answer revalidates with its ETag', async (t) => {
  const { gw } = t.context;
  for (const accept of ['*/*', 'application/dicom+json', `application/dicom+json, ${XML}; q=0.5`]) {
    const res = await request(gw.url + SERIES, { headers: { accept } });
    await res.body.dump();
    t.regex(String(res.headers['content-type']), /^application\/dicom\+json/, accept);
  }
  const preferred = await xmlParts(gw.url + SERIES, { accept: `application/dicom+json; q=0.5, ${XML}` });
  t.is(preferred.parts.length, 3, 'XML when its q is higher');
  const first = await xmlParts(gw.url + SERIES);
  const etag = String(first.headers['etag']);
  t.truthy(etag);
  const again = await request(gw.url + SERIES, { headers: { accept: XML, 'if-none-match': etag } });
  await again.body.dump();
  t.is(again.statusCode, 304);
  const refused = await request(gw.url + SERIES, { headers: { accept: 'application/xml' } });
  const problem = JSON.parse(await refused.body.text()) as { supported: string[] };
  t.is(refused.statusCode, 406);
  t.true(problem.supported.includes(XML), 'the 406 lists the XML form');
});

test('QIDO-RS in XML: one part per matching study, person names in components, RetrieveURL on the gateway; no match is 204', async (t) => {
  const { gw } = t.context;
  const answer = await xmlParts(`${gw.url}/studies?PatientID=XML-001&includefield=PatientBirthDate`);
  t.is(answer.status, 200);
  t.is(answer.parts.length, 1);
  const xml = answer.parts[0]!.xml;
  t.regex(xml, /<DicomAttribute tag="00100010" vr="PN" keyword="PatientName">\s*<PersonName number="1">\s*<Alphabetic>\s*<FamilyName>Müller<\/FamilyName>\s*<GivenName>Jürgen<\/GivenName>/);
  t.regex(xml, /<DicomAttribute tag="00100030" vr="DA" keyword="PatientBirthDate">\s*<Value number="1">19650203<\/Value>/);
  t.regex(xml, new RegExp(`<DicomAttribute tag="00081190" vr="UR" keyword="RetrieveURL">\\s*<Value number="1">${gw.url.replace(/[.]/g, '\\.')}/studies/2\\.25\\.8801</Value>`));
  const none = await request(`${gw.url}/studies?PatientID=NOBODY`, { headers: { accept: XML } });
  await none.body.dump();
  t.is(none.statusCode, 204);
});
