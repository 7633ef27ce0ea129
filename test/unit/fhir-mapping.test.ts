/**
 * FHIR façade pieces without an archive: search parameters → QIDO query, date
 * handling, ImagingStudy mapping (checked against the official FHIR R4 JSON
 * schema), OperationOutcome statuses and viewer URL templates.
 */
import test from 'ava';
import { fhirDateTime, intersectStarted, daRange } from '../../src/fhir/dates.js';
import { parseImagingStudySearch, qidoStudyQuery } from '../../src/fhir/search-params.js';
import { toImagingStudy } from '../../src/fhir/imaging-study.js';
import { operationOutcome } from '../../src/fhir/outcome.js';
import { viewerUrl } from '../../src/fhir/viewer-link.js';
import { BadRequestError, GatewayError, UpstreamTimeoutError, UpstreamUnreachableError } from '../../src/http/errors.js';
import { missingRequired, validator } from '../support/fhir-validity.js';


test('started: prefixes and precisions become inclusive DICOM date ranges; repeated values intersect', (t) => {
  t.is(daRange(intersectStarted(['2024'])), '20240101-20241231');
  t.is(daRange(intersectStarted(['eq2024-02'])), '20240201-20240229');
  t.is(daRange(intersectStarted(['2024-03-05'])), '20240305');
  t.is(daRange(intersectStarted(['gt2024-12-31'])), '20250101-');
  t.is(daRange(intersectStarted(['lt2024-03-01'])), '-20240229');
  t.is(daRange(intersectStarted(['ge2024-01-01', 'le2024-06-30'])), '20240101-20240630');
  for (const bad of ['ne2024', '2024-13', '2024-02-30', '2024-01-01T10:00:00Z', 'yesterday']) {
    t.throws(() => intersectStarted([bad]), { instanceOf: BadRequestError }, bad);
  }
});

test('DICOM date/time/zone → FHIR dateTime: time only with a zone', (t) => {
  t.is(fhirDateTime('20240115', '101500.123456', '+0100'), '2024-01-15T10:15:00.123+01:00');
  t.is(fhirDateTime('20240115', '1015', '+0000'), '2024-01-15T10:15:00Z');
  t.is(fhirDateTime('20240115', '101500', undefined), '2024-01-15');
  t.is(fhirDateTime('2024', undefined, undefined), undefined);
});

test('search parameters become one QIDO study query', (t) => {
  const s = parseImagingStudySearch('patient=Patient/P%201&started=ge2024-01-01&modality=CT,http://dicom.nema.org/resources/ontology/DCM|MR&_count=5&_=1', ['_']);
  t.is(qidoStudyQuery(s), 'PatientID=P%201&StudyDate=20240101-&ModalitiesInStudy=CT%2CMR&includefield=00081030,00100021,00080201,00201206,00201208,00080061&limit=6&offset=0');
  const id = parseImagingStudySearch('subject:identifier=urn:oid:1.2.3|X9', []);
  t.is(id.issuer, '1.2.3');
  t.is(id.patientId, 'X9');
  t.is(parseImagingStudySearch('_count=100000', []).count, 100);
  for (const bad of ['patient=a,b', 'patient=P*', 'subject:identifier=|X', 'modality=http://loinc.org|CT', 'modality=ct', '_count=0', 'x=1', 'patient=1&patient=2', '_format=xml', '_id=abc']) {
    t.throws(() => parseImagingStudySearch(bad, []), { instanceOf: BadRequestError }, bad);
  }
});

const v = (value: unknown) => ({ Value: [value] });
const rows = {
  study: { '0020000D': v('1.2.3'), '00100020': v('P1'), '00100021': v('1.2.840.1'), '00080020': v('20240101'), '00080061': { Value: ['CT', 'SR'] }, '00201206': v(1), '00201208': v(2), '00080050': v('A1') },
  series: [{ '0020000E': v('1.2.3.1'), '00080060': v('CT'), '00200011': v('4'), '00180015': v('CHEST') }, { '0020000E': v('1.2.3.2') }],
  instances: [{ '0020000E': v('1.2.3.1'), '00080018': v('1.2.3.1.1'), '00080016': v('1.2.840.10008.5.1.4.1.1.2'), '00200013': v('1') }],
};

test('ImagingStudy mapping is valid FHIR R4, and the schema really rejects a broken one', (t) => {
  const study = toImagingStudy(rows, 'https://gw.example/dicom-web')!;
  t.deepEqual(validator.validate(study), []);
  t.deepEqual(missingRequired(study), []);
  t.deepEqual((study as { subject: unknown }).subject, { type: 'Patient', identifier: { system: 'urn:oid:1.2.840.1', value: 'P1' } });
  const series = (study as { series: Array<Record<string, unknown>> }).series;
  t.deepEqual(series[0]!.bodySite, { display: 'CHEST' });
  t.deepEqual(series[1]!.modality, { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'OT' });
  const { subject: _subject, ...noSubject } = study;
  t.true(validator.validate(noSubject).length > 0, 'subject is required');
  t.true(validator.validate({ ...study, studyDate: '20240101' }).length > 0, 'unknown members are refused');
  const { status: _status, ...noStatus } = study;
  t.deepEqual(missingRequired(noStatus), ['ImagingStudy.status']);
  t.true(validator.validate({ ...study, started: '2024-01-01T10:00:00' }).length > 0, 'a time without zone is invalid FHIR');
  t.is(toImagingStudy({ ...rows, study: { ...rows.study, '0020000D': v('x y') } }, 'https://gw'), undefined);
});

test('errors become OperationOutcomes with fitting issue codes', (t) => {
  const cases: Array<[GatewayError, string]> = [
    [new BadRequestError('FHIR_BAD_PARAMETER', 'bad', { parameter: 'patient' }), 'invalid'],
    [new UpstreamUnreachableError('PACS', 'refused'), 'transient'],
    [new UpstreamTimeoutError('PACS', 'headers'), 'timeout'],
    [new GatewayError(503, 'GATEWAY_BUSY', 'Busy', 'busy'), 'transient'],
  ];
  for (const [err, code] of cases) {
    const outcome = operationOutcome(err);
    t.deepEqual(validator.validate(outcome), []);
    t.deepEqual(missingRequired(outcome), []);
    t.is((outcome.issue as Array<{ code: string }>)[0]!.code, code);
  }
});

test('viewer URL template placeholders', (t) => {
  t.is(viewerUrl('{viewerBase}/viewer?StudyInstanceUIDs={study}', { viewerBase: 'https://h/viewer/', study: '1.2', dicomwebRoot: 'https://h/dicom-web' }), 'https://h/viewer/viewer?StudyInstanceUIDs=1.2');
  t.is(viewerUrl('https://v/?s={study}&r={dicomwebRoot}', { viewerBase: '', study: '1.2', dicomwebRoot: 'https://h/dw' }), 'https://v/?s=1.2&r=https%3A%2F%2Fh%2Fdw');
});
