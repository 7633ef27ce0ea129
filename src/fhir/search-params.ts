/**
 * FHIR R4 search parameters of ImagingStudy (FHIR R4 ImagingStudy §"Search
 * Parameters", §3.1.1 RESTful search) → one QIDO-RS study search (PS3.18
 * §10.6.1.2, attribute matching §8.3.4). Supported: patient, subject:identifier,
 * started (repeatable, AND-ed), modality, _id, _count, _offset (paging links).
 * Unknown parameters are a 400 (FHIR "strict" handling): silently ignoring a
 * misspelt patient filter would return every study.
 */
import { BadRequestError } from '../http/errors.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { parseQueryString } from '../dicomweb/qido/params.js';
import { daRange, intersectStarted, isEmptyRange, type DateBounds } from './dates.js';
import { issuerOfSystem } from './patient-identity.js';

export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
export const DEFAULT_COUNT = 20;
/** Each study of a page costs two more QIDO requests (series, instances): pages are bounded. */
export const MAX_COUNT = 100;

export interface ImagingStudySearch {
  patientId?: string;
  issuer?: string;
  started: DateBounds;
  modalities: string[];
  studyUids: string[];
  count: number;
  offset: number;
}

const KNOWN = new Set(['patient', 'subject:identifier', 'started', 'modality', '_id', '_count', '_offset', '_format']);

function bad(parameter: string, detail: string): BadRequestError {
  return new BadRequestError('FHIR_BAD_PARAMETER', detail, { parameter });
}

/** A value QIDO matches exactly: no wildcards (PS3.4 C.2.2.2.4), no FHIR "OR" lists. */
function exactValue(parameter: string, value: string): string {
  if (value === '' || value.length > 64) throw bad(parameter, `"${parameter}" needs a value of 1 to 64 characters.`);
  if (/[*?\\,]/.test(value)) throw bad(parameter, `"${parameter}" must be one exact value: * ? \\ and , cannot be matched.`);
  return value;
}

function patientOf(value: string): string {
  const id = value.startsWith('Patient/') ? value.slice(8) : value;
  if (id.includes('/')) throw bad('patient', `patient must be "Patient/<id>" or "<id>", got "${value.slice(0, 80)}".`);
  return exactValue('patient', id);
}

function identifierOf(value: string): { patientId: string; issuer?: string } {
  const bar = value.indexOf('|');
  if (bar === -1) return { patientId: exactValue('subject:identifier', value) };
  const system = value.slice(0, bar);
  if (system === '') throw bad('subject:identifier', 'subject:identifier=|value (an identifier without system) cannot be matched; give value alone or system|value.');
  return { patientId: exactValue('subject:identifier', value.slice(bar + 1)), issuer: exactValue('subject:identifier', issuerOfSystem(system)) };
}

function modalitiesOf(value: string): string[] {
  return value.split(',').map((token) => {
    const bar = token.indexOf('|');
    if (bar !== -1 && token.slice(0, bar) !== DCM_SYSTEM && token.slice(0, bar) !== '') throw bad('modality', `modality codes are from ${DCM_SYSTEM}; got system "${token.slice(0, bar).slice(0, 80)}".`);
    const code = bar === -1 ? token : token.slice(bar + 1);
    if (!/^[A-Z0-9_]{1,16}$/.test(code)) throw bad('modality', `"${code.slice(0, 40)}" is not a DICOM modality code (e.g. CT, MR).`);
    return code;
  });
}

function integerOf(parameter: string, value: string, min: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw bad(parameter, `"${parameter}" must be an integer >= ${min}, got "${value.slice(0, 20)}".`);
  return Number(value);
}

function once(params: Map<string, string[]>, name: string): string | undefined {
  const values = params.get(name) ?? [];
  if (values.length > 1) throw bad(name, `"${name}" is given more than once.`);
  return values[0];
}

function groupParams(rawQuery: string, ignored: readonly string[]): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of parseQueryString(rawQuery)) {
    if (ignored.includes(name)) continue;
    if (!KNOWN.has(name)) throw bad(name, `Search parameter "${name.slice(0, 64)}" is not supported on ImagingStudy (supported: ${[...KNOWN].join(', ')}).`);
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  return params;
}

function patientFilter(params: Map<string, string[]>): { patientId?: string; issuer?: string } {
  const patient = once(params, 'patient');
  const identifier = once(params, 'subject:identifier');
  if (patient !== undefined && identifier !== undefined) throw bad('patient', 'Give patient or subject:identifier, not both.');
  if (patient !== undefined) return { patientId: patientOf(patient) };
  return identifier !== undefined ? identifierOf(identifier) : {};
}

export function parseImagingStudySearch(rawQuery: string, ignored: readonly string[]): ImagingStudySearch {
  const params = groupParams(rawQuery, ignored);
  const format = once(params, '_format');
  if (format !== undefined && !['json', 'application/json', 'application/fhir+json'].includes(format)) throw bad('_format', `_format "${format.slice(0, 40)}" is not offered: this server answers in application/fhir+json only.`);
  const ids = once(params, '_id');
  const studyUids = ids === undefined ? [] : ids.split(',');
  if (!studyUids.every(isSafeUidSegment)) throw bad('_id', '_id must be ImagingStudy ids (Study Instance UIDs), comma separated.');
  const modality = once(params, 'modality');
  const countText = once(params, '_count');
  const offsetText = once(params, '_offset');
  return {
    ...patientFilter(params),
    started: intersectStarted(params.get('started') ?? []),
    modalities: modality === undefined ? [] : modalitiesOf(modality),
    studyUids,
    count: countText === undefined ? DEFAULT_COUNT : Math.min(integerOf('_count', countText, 1), MAX_COUNT),
    offset: offsetText === undefined ? 0 : integerOf('_offset', offsetText, 0),
  };
}

/** True when the search cannot match anything (contradictory dates): answered without asking the archive. */
export function matchesNothing(search: ImagingStudySearch): boolean {
  return isEmptyRange(search.started);
}

/** Study-level attributes the façade needs beyond QIDO's defaults (PS3.18 Table 10.6.3-3). */
const STUDY_INCLUDES = ['00081030', '00100021', '00080201', '00201206', '00201208', '00080061'];

/** The QIDO-RS query string of the search; one more result than the page, to know whether a next page exists. */
export function qidoStudyQuery(search: ImagingStudySearch): string {
  const parts: string[] = [];
  const add = (key: string, value: string | undefined) => value !== undefined && value !== '' && parts.push(`${key}=${encodeURIComponent(value)}`);
  add('PatientID', search.patientId);
  add('IssuerOfPatientID', search.issuer);
  add('StudyDate', daRange(search.started));
  add('ModalitiesInStudy', search.modalities.join(','));
  add('StudyInstanceUID', search.studyUids.join(','));
  parts.push(`includefield=${STUDY_INCLUDES.join(',')}`, `limit=${search.count + 1}`, `offset=${search.offset}`);
  return parts.join('&');
}
