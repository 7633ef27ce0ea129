/**
 * DICOM JSON → Native DICOM Model XML (src/dicom/native-xml.ts) checked against
 * DCMTK: each sample is converted to DICOM JSON by DCMTK's dcm2json, then to XML
 * by the gateway, and compared with DCMTK's own `dcm2xml --native-format` of the
 * same file (test/support/native-xml-compare.py).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nativeDicomXml, type JsonDataset } from '../../src/dicom/native-xml.js';
import { samplesDir } from '../../scripts/fixtures/load.js';
import { python } from '../support/frames-expect.js';

const run = promisify(execFile);
const compareScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/native-xml-compare.py');
// Not pydicom_charset_utf8.dcm: for its name "Wang^XiaoDong=王^小東=" (empty phonetic group)
// dcm2xml 3.6.7 writes the ideographic group a second time as Phonetic.
const SAMPLES = ['pydicom_CT_small.dcm', 'pydicom_MR_small.dcm', 'pydicom_SR_comprehensive.dcm', 'pydicom_charset_greek.dcm', 'pydicom_charset_french_multi.dcm', 'pydicom_RTDOSE.dcm', 'dicom3tools_MR_0051.dcm', 'pydicom_SEG_liver_1frame.dcm', 'heudiconv_SR_phoenix.dcm'];

async function hasDcmtk(): Promise<boolean> {
  try {
    await run('dcm2json', ['--version']);
    return true;
  } catch {
    return false;
  }
}

test('escaping, empty values, person names, bulk data and private creators follow PS3.19 A.1', (t) => {
  const xml = nativeDicomXml({
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane^^Dr', Ideographic: '山田^太郎' }] },
    '00081030': { vr: 'LO', Value: ['a < b & "c"'] },
    '00200037': { vr: 'DS', Value: [1, null, 0] },
    '00280010': { vr: 'US' },
    '7FE00010': { vr: 'OB', BulkDataURI: 'http://gw/dicom-web/studies/1/bulk/7FE00010' },
    '00091010': { vr: 'LO', Value: ['x'] },
    '00090010': { vr: 'LO', Value: ['ACME 1.0'] },
  } as JsonDataset);
  t.regex(xml, /<NativeDicomModel xmlns="http:\/\/dicom\.nema\.org\/PS3\.19\/models\/NativeDICOM" xml:space="preserve">/);
  t.regex(xml, /<PersonName number="1">\s*<Alphabetic>\s*<FamilyName>Doe<\/FamilyName>\s*<GivenName>Jane<\/GivenName>\s*<NamePrefix>Dr<\/NamePrefix>\s*<\/Alphabetic>\s*<Ideographic>\s*<FamilyName>山田<\/FamilyName>/);
  t.true(xml.includes('<Value number="1">a &lt; b &amp; &quot;c&quot;</Value>'));
  t.true(xml.includes('<Value number="2"/>'), 'a null value keeps its number');
  t.true(xml.includes('<DicomAttribute tag="00280010" vr="US" keyword="Rows"></DicomAttribute>'));
  t.true(xml.includes('<BulkData uri="http://gw/dicom-web/studies/1/bulk/7FE00010"/>'));
  t.true(xml.includes('<DicomAttribute tag="00090010" vr="LO">'), 'the creator element as it is');
  t.true(xml.includes('<DicomAttribute tag="00090010" vr="LO" privateCreator="ACME 1.0">'), 'a private element by creator and gggg00ee');
});

test('the XML of DCMTK\'s DICOM JSON equals DCMTK\'s own Native DICOM Model for real files', async (t) => {
  const dir = samplesDir();
  if (!dir || !(await hasDcmtk())) {
    t.log('DICOM samples or DCMTK not found; skipped');
    t.pass();
    return;
  }
  const py = await python();
  const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-native-xml-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  for (const name of SAMPLES) {
    const file = path.join(dir, name);
    const { stdout } = await run('dcm2json', [file], { maxBuffer: 64 * 1024 * 1024 });
    const ours = path.join(work, `${name}.xml`);
    writeFileSync(ours, nativeDicomXml(JSON.parse(stdout) as JsonDataset));
    const compared = await run(py.cmd, [compareScript, file, ours], { env: py.env, maxBuffer: 16 * 1024 * 1024 });
    t.deepEqual(JSON.parse(compared.stdout), [], name);
  }
});
