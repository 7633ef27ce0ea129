/**
 * Validation of link fields, shared by POST /api/identity/links, the bulk
 * import and the reconciliation link action. Every problem names its field;
 * nothing invalid reaches the repositories.
 *
 * Identifiers follow the LO value representation of PatientID (0010,0020) and
 * IssuerOfPatientID (0010,0021) (PS3.5 Table 6.2-1: at most 64 characters, no
 * backslash, no control characters; leading and trailing spaces are not
 * significant). Wildcards `*` and `?` are refused too: these values become
 * QIDO-RS matching keys (PS3.4 C.2.2.2.4), where they would match other patients.
 */
import type { Demographics, FieldError, LinkInput, Sex } from './types.js';

export const LINK_FIELDS = ['ehrId', 'ehrIssuer', 'patientId', 'issuerOfPatientId', 'name', 'birthDate', 'sex'] as const;
export type LinkField = (typeof LINK_FIELDS)[number];

const MAX_LO = 64;
const MAX_NAME = 256;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

export interface ValidationRules {
  /** identity.ehrIssuers: an EHR issuer must be one, an archive issuer must not. */
  ehrIssuers: readonly string[];
}

type Check<T> = { value: T } | { error: string };

/** A PatientID-like value: required or optional, trimmed, LO rules, no wildcards. */
export function checkIdentifier(raw: unknown, required: boolean): Check<string> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return required ? { error: 'is required' } : { value: '' };
  }
  if (typeof raw !== 'string') return { error: 'must be a string' };
  const value = raw.trim();
  if (value.length > MAX_LO) return { error: `must be at most ${MAX_LO} characters (DICOM LO)` };
  if (FORBIDDEN.test(value)) return { error: 'must not contain backslashes or control characters' };
  if (/[*?]/.test(value)) return { error: 'must not contain the wildcards * or ?' };
  return { value };
}

function checkName(raw: unknown): Check<string | undefined> {
  if (raw === undefined || raw === null || raw === '') return { value: undefined };
  if (typeof raw !== 'string') return { error: 'must be a string' };
  const value = raw.trim();
  if (value.length > MAX_NAME) return { error: `must be at most ${MAX_NAME} characters` };
  if (FORBIDDEN.test(value)) return { error: 'must not contain backslashes or control characters' };
  return { value: value === '' ? undefined : value };
}

/** YYYYMMDD (DICOM DA) or YYYY-MM-DD, a real calendar date; stored as YYYYMMDD. */
export function checkBirthDate(raw: unknown): Check<string | undefined> {
  if (raw === undefined || raw === null || raw === '') return { value: undefined };
  if (typeof raw !== 'string') return { error: 'must be a string' };
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(raw.trim());
  if (!match) return { error: 'must be a date written YYYYMMDD or YYYY-MM-DD' };
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d) || Number(y) < 1850) {
    return { error: `"${raw.trim()}" is not a calendar date` };
  }
  return { value: `${y}${m}${d}` };
}

function checkSex(raw: unknown): Check<Sex | undefined> {
  if (raw === undefined || raw === null || raw === '') return { value: undefined };
  if (typeof raw !== 'string' || !/^[mfo]$/i.test(raw.trim())) return { error: 'must be M, F or O (DICOM PatientSex)' };
  return { value: raw.trim().toUpperCase() as Sex };
}

function take<T>(errors: FieldError[], field: string, check: Check<T>): T | undefined {
  if ('error' in check) {
    errors.push({ field, message: `${field} ${check.error}` });
    return undefined;
  }
  return check.value;
}

function issuerErrors(input: LinkInput, rules: ValidationRules): FieldError[] {
  const errors: FieldError[] = [];
  const known = rules.ehrIssuers.length > 0 ? rules.ehrIssuers.join(', ') : 'none configured';
  if (input.ehrIssuer && !rules.ehrIssuers.includes(input.ehrIssuer)) {
    errors.push({ field: 'ehrIssuer', message: `ehrIssuer "${input.ehrIssuer}" is not an EHR issuer of this gateway (identity.ehrIssuers: ${known})` });
  }
  if (input.issuerOfPatientId && rules.ehrIssuers.includes(input.issuerOfPatientId)) {
    errors.push({ field: 'issuerOfPatientId', message: `issuerOfPatientId "${input.issuerOfPatientId}" is an EHR issuer; a link joins an EHR identity to an archive identity` });
  }
  return errors;
}

function demographicsOf(errors: FieldError[], record: Record<string, unknown>): Demographics | undefined {
  const demographics: Demographics = {};
  const name = take(errors, 'name', checkName(record.name));
  const birthDate = take(errors, 'birthDate', checkBirthDate(record.birthDate));
  const sex = take(errors, 'sex', checkSex(record.sex));
  if (name) demographics.name = name;
  if (birthDate) demographics.birthDate = birthDate;
  if (sex) demographics.sex = sex;
  return Object.keys(demographics).length > 0 ? demographics : undefined;
}

/** Validates one link record ({ehrId, ehrIssuer, patientId, issuerOfPatientId?, name?, birthDate?, sex?}). */
export function parseLinkInput(record: unknown, rules: ValidationRules): { input?: LinkInput; errors: FieldError[] } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { errors: [{ field: 'body', message: `a link is a JSON object with the fields ${LINK_FIELDS.join(', ')}` }] };
  }
  const fields = record as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(fields)
    .filter((key) => !(LINK_FIELDS as readonly string[]).includes(key))
    .map((key) => ({ field: key, message: `unknown field "${key.slice(0, 40)}"; the fields are ${LINK_FIELDS.join(', ')}` }));
  const ehrId = take(errors, 'ehrId', checkIdentifier(fields.ehrId, true));
  const ehrIssuer = take(errors, 'ehrIssuer', checkIdentifier(fields.ehrIssuer, true));
  const patientId = take(errors, 'patientId', checkIdentifier(fields.patientId, true));
  const issuerOfPatientId = take(errors, 'issuerOfPatientId', checkIdentifier(fields.issuerOfPatientId, false));
  const demographics = demographicsOf(errors, fields);
  const input: LinkInput = { ehrId: ehrId ?? '', ehrIssuer: ehrIssuer ?? '', patientId: patientId ?? '', issuerOfPatientId: issuerOfPatientId ?? '', ...(demographics && { demographics }) };
  errors.push(...issuerErrors(input, rules));
  return errors.length > 0 ? { errors } : { input, errors };
}
