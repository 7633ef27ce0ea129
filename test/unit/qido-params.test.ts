import test from 'ava';
import { parseQidoQuery } from '../../src/dicomweb/qido/params.js';
import { BadRequestError } from '../../src/http/errors.js';

const ctx = { level: 'study' as const, ignoredParameters: ['_'] };

test('keywords and tags name the same attribute', (t) => {
  const a = parseQidoQuery('PatientID=123', ctx);
  const b = parseQidoQuery('00100020=123', ctx);
  t.is(a.filters[0]!.path[0]!.tag, '00100020');
  t.deepEqual(a.filters[0]!.path, b.filters[0]!.path);
});

test('classifies single, wildcard, range, list and universal matching', (t) => {
  const q = parseQidoQuery('PatientName=Do*&StudyDate=20200101-20201231&StudyInstanceUID=1.2.3,1.2.4&AccessionNumber=&PatientID=7', ctx);
  t.deepEqual(q.filters.map((f) => f.kind), ['wildcard', 'range', 'list', 'universal', 'single']);
  t.deepEqual(q.filters[1]!.values, ['20200101', '20201231']);
  t.deepEqual(q.filters[2]!.values, ['1.2.3', '1.2.4']);
});

test('open-ended date ranges and DT with a negative timezone offset', (t) => {
  t.deepEqual(parseQidoQuery('StudyDate=-20201231', ctx).filters[0]!.values, ['', '20201231']);
  t.deepEqual(parseQidoQuery('StudyDate=20200101-', ctx).filters[0]!.values, ['20200101', '']);
  const dt = parseQidoQuery('AcquisitionDateTime=20200101120000-0500', ctx).filters[0]!;
  t.is(dt.kind, 'single');
  const range = parseQidoQuery('AcquisitionDateTime=20200101-20200102120000-0500', ctx).filters[0]!;
  t.deepEqual(range.values, ['20200101', '20200102120000-0500']);
});

test('limit, offset, fuzzymatching and includefield', (t) => {
  const q = parseQidoQuery('limit=10&offset=5&fuzzymatching=true&includefield=StudyDescription,00101010&includefield=all', ctx);
  t.is(q.limit, 10);
  t.is(q.offset, 5);
  t.true(q.fuzzy);
  t.true(q.includeAll);
  t.deepEqual(q.includeFields.map((p) => p[0]!.keyword), ['StudyDescription', 'PatientAge']);
});

test('ignored parameters are accepted and dropped', (t) => {
  t.deepEqual(parseQidoQuery('_=1700000000', ctx).filters, []);
});

test('sequence paths resolve through sequences only', (t) => {
  const q = parseQidoQuery('RequestAttributesSequence.ScheduledProcedureStepID=SPS1', { ...ctx, level: 'series' });
  t.deepEqual(q.filters[0]!.path.map((a) => a.keyword), ['RequestAttributesSequence', 'ScheduledProcedureStepID']);
  t.throws(() => parseQidoQuery('PatientName.PatientID=1', ctx), { instanceOf: BadRequestError });
});

const bad: Array<[string, string, string]> = [
  ['Foo=1', 'QIDO_UNKNOWN_ATTRIBUTE', 'Foo'],
  ['StudyDate=2020', 'QIDO_BAD_VALUE', 'StudyDate'],
  ['StudyDate=20200101-2020', 'QIDO_BAD_VALUE', 'StudyDate'],
  ['StudyDate=-', 'QIDO_BAD_VALUE', 'StudyDate'],
  ['StudyTime=25x', 'QIDO_BAD_VALUE', 'StudyTime'],
  ['StudyInstanceUID=1.2.abc', 'QIDO_BAD_VALUE', 'StudyInstanceUID'],
  ['SeriesNumber=abc', 'QIDO_BAD_VALUE', 'SeriesNumber'],
  ['limit=ten', 'QIDO_BAD_PAGING', 'limit'],
  ['limit=0', 'QIDO_BAD_PAGING', 'limit'],
  ['offset=-1', 'QIDO_BAD_PAGING', 'offset'],
  ['fuzzymatching=maybe', 'QIDO_BAD_BOOLEAN', 'fuzzymatching'],
  ['emptyvaluematching=1', 'QIDO_BAD_BOOLEAN', 'emptyvaluematching'],
  ['PatientID=%E0%A4%A', 'QIDO_BAD_ENCODING', 'PatientID'],
  ['StudyDate=20191345', 'QIDO_BAD_VALUE', 'StudyDate'],
  ['StudyTime=2460', 'QIDO_BAD_VALUE', 'StudyTime'],
  ['includefield=NotAnAttribute', 'QIDO_UNKNOWN_ATTRIBUTE', 'NotAnAttribute'],
  ['PatientID=1&PatientID=2', 'QIDO_DUPLICATE_PARAMETER', 'PatientID'],
  ['limit=1&limit=2', 'QIDO_DUPLICATE_PARAMETER', 'limit'],
  ['ReferencedSeriesSequence=x', 'QIDO_BAD_VALUE', 'ReferencedSeriesSequence'],
];

for (const [query, code, parameter] of bad) {
  test(`400 ${code} for ${query}`, (t) => {
    const err = t.throws(() => parseQidoQuery(query, ctx), { instanceOf: BadRequestError });
    t.is(err?.code, code);
    t.is(err?.extras.parameter, parameter);
    t.is(err?.status, 400);
  });
}
