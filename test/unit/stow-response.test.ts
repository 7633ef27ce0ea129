import test from 'ava';
import { storeResponseDataset, storeVerdict, type StoreSummary } from '../../src/dicomweb/stow/response.js';
import { storeResponseXml } from '../../src/dicomweb/stow/response-xml.js';
import type { InstanceOutcome } from '../../src/dicomweb/stow/outcome.js';

const BASE = 'https://gw.example/dicom-web';
const ref = (part: number) => ({ part, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: `1.2.${part}`, studyUid: '1.3', seriesUid: '1.4' });
const stored = (part: number, warning?: number): InstanceOutcome => ({ kind: 'stored', ref: ref(part), ...(warning && { warning: { code: warning, comment: 'w' } }) });
const failed = (part: number, code = 0xa900, retryable = false): InstanceOutcome => ({ kind: 'failed', ref: ref(part), failure: { code, comment: 'Bad <thing> & more', ...(retryable && { retryable }) } });
const summary = (outcomes: InstanceOutcome[], extra: Partial<StoreSummary> = {}): StoreSummary => ({ outcomes, dryRun: false, baseUrl: BASE, form: 'dicom', ...extra });

test('status follows PS3.18 Table 10.5.3-1', (t) => {
  t.is(storeVerdict(summary([stored(1), stored(2)])).status, 200);
  t.is(storeVerdict(summary([stored(1), failed(2)])).status, 202);
  t.is(storeVerdict(summary([stored(1, 0xb000)])).status, 202);
  t.is(storeVerdict(summary([stored(1)], { requestFailure: { code: 0xc000, comment: 'cut', status: 400 } })).status, 202);
  t.is(storeVerdict(summary([failed(1), failed(2, 0x0122)])).status, 409);
  t.is(storeVerdict(summary([failed(1, 0xa700, true)])).status, 503);
  t.is(storeVerdict(summary([failed(1, 0xa700, true), failed(2)])).status, 409);
  t.is(storeVerdict(summary([])).status, 400);
});

test('the module carries gateway RetrieveURLs, reasons and comments (Annex I)', (t) => {
  const json = storeResponseDataset(summary([stored(1), failed(2), stored(3, 0xb00e)]));
  t.deepEqual(json['00081190'], { vr: 'UR', Value: [`${BASE}/studies/1.3`] });
  const referenced = json['00081199']!.Value as Array<Record<string, { Value?: unknown[] }>>;
  t.is(referenced[0]!['00081190']!.Value![0], `${BASE}/studies/1.3/series/1.4/instances/1.2.1`);
  t.is(referenced[1]!['00081196']!.Value![0], 0xb00e);
  t.is(referenced[1]!['00000902']!.Value![0], 'Part 3: w');
  const failedItem = (json['00081198']!.Value as Array<Record<string, { Value?: unknown[] }>>)[0]!;
  t.deepEqual(failedItem['00081197'], { vr: 'US', Value: [0xa900] });
  t.is(failedItem['00000902']!.Value![0], 'Part 2: Bad <thing> & more');
});

test('a dry run names no RetrieveURL; a request failure goes to Other Failures Sequence', (t) => {
  const json = storeResponseDataset(summary([stored(1)], { dryRun: true, requestFailure: { code: 0xa700, comment: 'limit', status: 413 } }));
  t.deepEqual(json['00081190'], { vr: 'UR' });
  t.deepEqual((json['00081199']!.Value as Array<Record<string, unknown>>)[0]!['00081190'], { vr: 'UR' });
  t.deepEqual(json['0008119A'], { vr: 'SQ', Value: [{ '00000902': { vr: 'LO', Value: ['limit'] }, '00081197': { vr: 'US', Value: [0xa700] } }] });
});

test('XML rendering escapes text and uses keywords', (t) => {
  const xml = storeResponseXml(storeResponseDataset(summary([failed(1)])));
  t.regex(xml, /<DicomAttribute tag="00081198" vr="SQ" keyword="FailedSOPSequence">/);
  t.regex(xml, /keyword="ErrorComment">\s*<Value number="1">Part 1: Bad &lt;thing&gt; &amp; more<\/Value>/);
  t.regex(xml, /<DicomAttribute tag="00081190" vr="UR" keyword="RetrieveURL"><\/DicomAttribute>/);
});
