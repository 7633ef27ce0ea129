import test from 'ava';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { bufferSource, indexPart10 } from '../../src/dicom/part10/index.js';
import { failureFromWalk, validateInstance, type ValidationContext } from '../../src/dicomweb/stow/validate.js';
import { InstanceFailure } from '../../src/dicomweb/stow/outcome.js';
import { rewrite } from '../fuzz/stow-client.js';

const [CT] = generateStudy({ patientName: 'Unit^Test', patientId: 'U1', birthDate: '19800101', sex: 'M', studyDate: '20240101', studyInstanceUid: '2.25.99', series: [{ modality: 'CT', instances: 1, rows: 8, columns: 8 }] });
const ctx: ValidationContext = { requiredAttributes: [] };

async function check(part10: Buffer, context = ctx) {
  return validateInstance(await indexPart10(bufferSource(part10)), context);
}

async function failure(part10: Buffer, context = ctx): Promise<{ code: number; comment: string }> {
  try {
    await check(part10, context);
  } catch (err) {
    if (err instanceof InstanceFailure) return { code: err.code, comment: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

test('a generated CT passes with its facts', async (t) => {
  const { facts, warning } = await check(CT!.part10);
  t.is(facts.sopInstanceUid, CT!.sopInstanceUid);
  t.is(facts.studyUid, '2.25.99');
  t.is(facts.transferSyntaxUid, '1.2.840.10008.1.2.1');
  t.is(warning, undefined);
});

test('missing or malformed UIDs fail with 0xA900 naming the attribute; leading zeros only warn', async (t) => {
  const noSeries = await failure(rewrite(CT!.part10, { '0020000E': null }));
  t.deepEqual(noSeries, { code: 0xa900, comment: 'SeriesInstanceUID (0020,000E) is missing' });
  const bad = await failure(rewrite(CT!.part10, { '0020000D': { vr: 'UI', Value: ['1.2.abc'] } }));
  t.is(bad.code, 0xa900);
  t.regex(bad.comment, /StudyInstanceUID \(0020,000D\) "1\.2\.abc" is not a valid UID/);
  const lax = await check(rewrite(CT!.part10, { '0020000D': { vr: 'UI', Value: ['1.2.03'] } }));
  t.is(lax.warning?.code, 0xb007);
});

test('the study of the URL, the policy\'s required attributes and the File Meta SOP Class are enforced', async (t) => {
  t.is((await failure(CT!.part10, { ...ctx, urlStudy: '2.25.100' })).code, 0xa900);
  const required = await failure(CT!.part10, { requiredAttributes: ['AccessionNumber'] });
  t.regex(required.comment, /AccessionNumber \(0008,0050\) is missing or empty/);
  const otherClass = rewrite(CT!.part10, { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.4'] } });
  t.regex((await failure(otherClass)).comment, /MediaStorageSOPClassUID .* differs from SOPClassUID/);
});

test('native pixel data shorter than Rows × Columns × … fails; longer warns', async (t) => {
  const short = rewrite(CT!.part10, { '7FE00010': { vr: 'OW', Value: [new ArrayBuffer(100)] } });
  const f = await failure(short);
  t.is(f.code, 0xa900);
  t.regex(f.comment, /Pixel Data \(7FE0,0010\) has 100 bytes; .* need 128/);
  const long = await check(rewrite(CT!.part10, { '7FE00010': { vr: 'OW', Value: [new ArrayBuffer(200)] } }));
  t.is(long.warning?.code, 0xb007);
  const frames = await failure(rewrite(CT!.part10, { '00280008': { vr: 'IS', Value: ['2A'] } }));
  t.regex(frames.comment, /NumberOfFrames \(0028,0008\) "2A" is not an integer string/);
  t.regex((await failure(rewrite(CT!.part10, { '00280010': null }))).comment, /Rows \(0028,0010\) is missing/);
});

test('an unknown transfer syntax is 0xC122; walker errors become 0xC000 with the reason', async (t) => {
  const part10 = Buffer.from(CT!.part10);
  const ts = part10.indexOf('1.2.840.10008.1.2.1\0');
  part10.write('1.2.840.10008.1.2.9\0', ts, 'latin1');
  t.is((await failure(part10)).code, 0xc122);
  const truncated = await indexPart10(bufferSource(CT!.part10.subarray(0, CT!.part10.length - 10))).catch((e: unknown) => e);
  const walk = failureFromWalk(truncated, undefined);
  t.is(walk?.code, 0xc000);
  t.regex(walk!.message, /^The file is truncated: /);
  const gz = failureFromWalk(await indexPart10(bufferSource(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).catch((e: unknown) => e), Buffer.from([0x1f, 0x8b]));
  t.regex(gz!.message, /gzip-compressed/);
  t.is(failureFromWalk(new Error('other'), undefined), undefined);
});
