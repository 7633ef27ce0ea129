/**
 * Validation of POST /api/prefetch bodies and GET /api/prefetch queries:
 * every mistake is a 400 naming the field (`parameter`), before a job exists.
 * Values end up in QIDO-RS matching keys (PS3.18 §10.6.1.2), so wildcard and
 * multi-value characters are refused: a prefetch names one patient exactly.
 */
import { BadRequestError } from '../http/errors.js';
import type { PatientIdentity } from '../identity/resolver.js';
import { JOB_STATUSES, type JobStatus, type PrefetchCriteria, type StudyDateRange } from './types.js';

export interface PrefetchRequest {
  patient: PatientIdentity;
  criteria: PrefetchCriteria;
}

const TOP_KEYS = new Set(['patient', 'studyDate', 'modalities']);
const PATIENT_KEYS = new Set(['id', 'issuer']);
const DATE_KEYS = new Set(['from', 'to']);
/** LO (PatientID, IssuerOfPatientID): 64 characters; no wildcards (* ?), no value separator (\), no controls. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const BAD_ID_CHARACTERS = /[*?\\\u0000-\u001f\u007f]/;
const MODALITY = /^[A-Z0-9_]{1,16}$/;
const MAX_MODALITIES = 20;

function bad(parameter: string, detail: string): BadRequestError {
  return new BadRequestError('PREFETCH_BAD_REQUEST', detail, { parameter });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rejectUnknownKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, prefix: string): void {
  const unknown = Object.keys(obj).find((k) => !known.has(k));
  if (unknown !== undefined) {
    const name = `${prefix}${unknown}`.slice(0, 80);
    throw bad(name, `Unknown field "${name}" (known: ${[...known].map((k) => prefix + k).join(', ')}).`);
  }
}

function identifier(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw bad(field, `"${field}" must be a string${required ? ' (it is required)' : ''}.`);
  const trimmed = value.trim();
  if (trimmed === '') throw bad(field, `"${field}" must not be empty.`);
  if (trimmed.length > 64) throw bad(field, `"${field}" is longer than 64 characters (the DICOM limit of PatientID and IssuerOfPatientID).`);
  if (BAD_ID_CHARACTERS.test(trimmed)) throw bad(field, `"${field}" must name one patient exactly: wildcards (* ?), backslashes and control characters are not accepted.`);
  return trimmed;
}

function parsePatient(value: unknown): PatientIdentity {
  if (!isObject(value)) throw bad('patient', '"patient" is required: an object { "id": "...", "issuer": "..." } (issuer optional).');
  rejectUnknownKeys(value, PATIENT_KEYS, 'patient.');
  const id = identifier(value.id, 'patient.id', true)!;
  const issuer = identifier(value.issuer, 'patient.issuer', false);
  return issuer === undefined ? { id } : { id, issuer };
}

/** True for a real calendar date written YYYYMMDD. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{8}$/.test(text)) return false;
  const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1800 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function parseDate(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !isCalendarDate(value)) throw bad(field, `"${field}" must be a date written YYYYMMDD (e.g. 20240302), got ${JSON.stringify(value).slice(0, 40)}.`);
  return value;
}

function parseStudyDate(value: unknown): StudyDateRange | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad('studyDate', '"studyDate" must be an object { "from": "YYYYMMDD", "to": "YYYYMMDD" } (either may be left out).');
  rejectUnknownKeys(value, DATE_KEYS, 'studyDate.');
  const from = parseDate(value.from, 'studyDate.from');
  const to = parseDate(value.to, 'studyDate.to');
  if (from && to && from > to) throw bad('studyDate', `"studyDate.from" (${from}) is after "studyDate.to" (${to}).`);
  if (!from && !to) return undefined;
  return { ...(from && { from }), ...(to && { to }) };
}

function parseModalities(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw bad('modalities', '"modalities" must be an array of modality codes, e.g. ["CT", "MR"].');
  if (value.length > MAX_MODALITIES) throw bad('modalities', `"modalities" lists more than ${MAX_MODALITIES} codes.`);
  const codes = value.map((m, i) => {
    if (typeof m !== 'string' || !MODALITY.test(m.trim().toUpperCase())) throw bad(`modalities[${i}]`, `"modalities[${i}]" must be a DICOM modality code such as CT, MR or US, got ${JSON.stringify(m).slice(0, 40)}.`);
    return m.trim().toUpperCase();
  });
  return codes.length === 0 ? undefined : [...new Set(codes)];
}

/** The validated request; throws BadRequestError naming the field. */
export function parsePrefetchRequest(body: unknown): PrefetchRequest {
  if (!isObject(body)) throw bad('body', 'The request body must be a JSON object: { "patient": { "id": "..." }, "studyDate": { "from": "YYYYMMDD", "to": "YYYYMMDD" }, "modalities": ["CT"] }.');
  rejectUnknownKeys(body, TOP_KEYS, '');
  const patient = parsePatient(body.patient);
  const studyDate = parseStudyDate(body.studyDate);
  const modalities = parseModalities(body.modalities);
  return { patient, criteria: { ...(studyDate && { studyDate }), ...(modalities && { modalities }) } };
}

export interface ListQuery {
  statuses?: JobStatus[];
  limit: number;
}

/** `GET /api/prefetch?status=running,queued&limit=50`. */
export function parseListQuery(query: Record<string, string | string[] | undefined>): ListQuery {
  const unknown = Object.keys(query).find((k) => k !== 'status' && k !== 'limit');
  if (unknown !== undefined) throw bad(unknown.slice(0, 64), `Query parameter "${unknown.slice(0, 64)}" is not accepted here (accepted: status, limit).`);
  const single = (name: string) => {
    const v = query[name];
    if (Array.isArray(v)) throw bad(name, `"${name}" is given more than once.`);
    return v;
  };
  const statusText = single('status');
  const limitText = single('limit');
  let statuses: JobStatus[] | undefined;
  if (statusText !== undefined && statusText !== '') {
    statuses = statusText.split(',').map((s) => s.trim()) as JobStatus[];
    const wrong = statuses.find((s) => !JOB_STATUSES.includes(s));
    if (wrong !== undefined) throw bad('status', `"status" must be one or more of ${JOB_STATUSES.join(', ')} (comma-separated), got "${wrong.slice(0, 40)}".`);
  }
  let limit = 50;
  if (limitText !== undefined) {
    if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 500) throw bad('limit', `"limit" must be an integer from 1 to 500, got "${limitText.slice(0, 20)}".`);
    limit = Number(limitText);
  }
  return { ...(statuses && { statuses }), limit };
}
