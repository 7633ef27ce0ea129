/**
 * Dates between FHIR and DICOM:
 * - FHIR search `started` (FHIR R4 §3.1.1.5.8 "date" search with prefixes
 *   eq/ge/le/gt/lt) → a DICOM DA range for QIDO-RS StudyDate (PS3.18 §8.3.4.1,
 *   PS3.4 C.2.2.2.5 range matching);
 * - DICOM StudyDate (DA), StudyTime (TM) and TimezoneOffsetFromUTC → FHIR
 *   dateTime. FHIR requires a time zone as soon as a time is given, so without
 *   TimezoneOffsetFromUTC (0008,0201) only the date is returned.
 */
import { BadRequestError } from '../http/errors.js';

/** Inclusive DICOM DA bounds (YYYYMMDD); undefined = open side. */
export interface DateBounds {
  from?: string;
  to?: string;
}

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const PREFIXES = new Set(['eq', 'ge', 'le', 'gt', 'lt']);

function badStarted(value: string, why: string): BadRequestError {
  return new BadRequestError('FHIR_BAD_DATE', `started="${value.slice(0, 40)}": ${why}`, { parameter: 'started' });
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const asDa = (d: Date) => `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;

/** First and last day (inclusive) that a FHIR date of year, month or day precision covers. */
function dayRange(value: string, text: string): { first: Date; last: Date } {
  const m = FHIR_DATE.exec(text);
  if (!m) throw badStarted(value, 'expected [eq|ge|le|gt|lt]YYYY[-MM[-DD]] (times are not supported: DICOM study dates are matched by day).');
  const year = Number(m[1]);
  const month = m[2] === undefined ? undefined : Number(m[2]);
  const day = m[3] === undefined ? undefined : Number(m[3]);
  if (month !== undefined && (month < 1 || month > 12)) throw badStarted(value, 'the month must be 01 to 12.');
  const first = new Date(Date.UTC(year, (month ?? 1) - 1, day ?? 1));
  if (day !== undefined && first.getUTCDate() !== day) throw badStarted(value, 'no such day.');
  const last = month === undefined ? new Date(Date.UTC(year, 11, 31)) : day === undefined ? new Date(Date.UTC(year, month, 0)) : first;
  return { first, last };
}

const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000);

/** The bounds one `started` value sets. */
export function startedBounds(value: string): DateBounds {
  const prefix = /^[a-z]{2}/.test(value) ? value.slice(0, 2) : 'eq';
  if (/^[a-z]{2}/.test(value) && !PREFIXES.has(prefix)) throw badStarted(value, `prefix "${prefix}" is not supported (eq, ge, le, gt, lt are).`);
  const { first, last } = dayRange(value, /^[a-z]{2}/.test(value) ? value.slice(2) : value);
  switch (prefix) {
    case 'ge': return { from: asDa(first) };
    case 'gt': return { from: asDa(addDays(last, 1)) };
    case 'le': return { to: asDa(last) };
    case 'lt': return { to: asDa(addDays(first, -1)) };
    default: return { from: asDa(first), to: asDa(last) };
  }
}

/** All `started` values must hold (FHIR: repeated parameters are AND-ed): the intersection of their bounds. */
export function intersectStarted(values: readonly string[]): DateBounds {
  const out: DateBounds = {};
  for (const value of values) {
    const b = startedBounds(value);
    if (b.from !== undefined && (out.from === undefined || b.from > out.from)) out.from = b.from;
    if (b.to !== undefined && (out.to === undefined || b.to < out.to)) out.to = b.to;
  }
  return out;
}

/** QIDO StudyDate value for the bounds (PS3.4 C.2.2.2.5: "from-", "-to", "from-to"), or undefined for no filter. */
export function daRange(bounds: DateBounds): string | undefined {
  if (bounds.from === undefined && bounds.to === undefined) return undefined;
  if (bounds.from !== undefined && bounds.from === bounds.to) return bounds.from;
  return `${bounds.from ?? ''}-${bounds.to ?? ''}`;
}

/** True when no date can satisfy the bounds (e.g. ge2024 and le2023). */
export function isEmptyRange(bounds: DateBounds): boolean {
  return bounds.from !== undefined && bounds.to !== undefined && bounds.from > bounds.to;
}

/** "+0100" (DICOM TimezoneOffsetFromUTC, PS3.3 C.12.1.1.8) → "+01:00"; undefined when malformed. */
export function fhirTimezone(offset: string | undefined): string | undefined {
  const m = offset ? /^([+-])(\d{2})(\d{2})$/.exec(offset.trim()) : null;
  if (!m) return undefined;
  return m[2] === '00' && m[3] === '00' ? 'Z' : `${m[1]}${m[2]}:${m[3]}`;
}

/** "HHMMSS.FFFFFF" (or HHMM, HH, legacy "HH:MM:SS") → "HH:MM:SS[.fff]"; undefined when malformed. */
function fhirTime(tm: string): string | undefined {
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(tm.trim().replace(/:/g, ''));
  if (!m || Number(m[1]) > 23 || Number(m[2] ?? 0) > 59 || Number(m[3] ?? 0) > 60) return undefined;
  return `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}${m[4] ? `.${m[4].slice(0, 3)}` : ''}`;
}

/** FHIR dateTime of a DICOM date, time and offset: full when the zone is known, else the date alone. */
export function fhirDateTime(da: string | undefined, tm: string | undefined, offset: string | undefined): string | undefined {
  const m = da ? /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim()) : null;
  if (!m || m[1] === '0000' || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) < 1 || Number(m[3]) > 31) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const zone = fhirTimezone(offset);
  const time = tm ? fhirTime(tm) : undefined;
  return zone && time ? `${date}T${time}${zone}` : date;
}
