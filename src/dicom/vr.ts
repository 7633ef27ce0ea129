/**
 * Value syntax by VR (PS3.5 §6.2), as far as QIDO matching needs it
 * (PS3.4 C.2.2.2: which VRs take wildcards, ranges and lists).
 */
export const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
export const RANGE_VRS = new Set(['DA', 'TM', 'DT']);
export const NUMERIC_VRS = new Set(['US', 'UL', 'SS', 'SL', 'FL', 'FD', 'IS', 'DS', 'SV', 'UV']);

const DA = /^\d{8}$/;
const TM = /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/;
const DT = /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const DATE_TIME_SYNTAX: Record<string, RegExp> = { DA, TM, DT };

function inRange(text: string | undefined, min: number, max: number): boolean {
  return text === undefined || text === '' || (Number(text) >= min && Number(text) <= max);
}

/** Calendar and clock ranges, not only digit counts: 20191345 is not a date. */
function plausibleDate(value: string): boolean {
  return inRange(value.slice(4, 6), 1, 12) && inRange(value.slice(6, 8), 1, 31);
}

function plausibleTime(value: string): boolean {
  // Second 60 is a leap second (PS3.5 Table 6.2-1, TM).
  return inRange(value.slice(0, 2), 0, 23) && inRange(value.slice(2, 4), 0, 59) && inRange(value.slice(4, 6), 0, 60);
}

export function isValidDateTime(vr: string, value: string): boolean {
  if (!(DATE_TIME_SYNTAX[vr]?.test(value) ?? false)) return false;
  if (vr === 'DA') return plausibleDate(value);
  if (vr === 'TM') return plausibleTime(value);
  const dateTime = value.replace(/[+-]\d{4}$/, '');
  return plausibleDate(dateTime.slice(0, 8)) && plausibleTime(dateTime.slice(8));
}

export function isValidNumber(value: string): boolean {
  return NUMBER.test(value);
}

/**
 * Splits a DA/TM/DT range `from-to` (either side may be empty, PS3.4 C.2.2.2.5).
 * DT values may carry a `-hhmm` offset, so every hyphen is tried as the separator.
 */
export function splitRange(vr: string, value: string): { from: string; to: string } | undefined {
  for (let i = value.indexOf('-'); i !== -1; i = value.indexOf('-', i + 1)) {
    const from = value.slice(0, i);
    const to = value.slice(i + 1);
    if (from === '' && to === '') return undefined;
    const okFrom = from === '' || isValidDateTime(vr, from);
    const okTo = to === '' || isValidDateTime(vr, to);
    if (okFrom && okTo) return { from, to };
  }
  return undefined;
}

/** Human description of the expected syntax, for error messages. */
export function syntaxHint(vr: string): string {
  switch (vr) {
    case 'DA':
      return 'YYYYMMDD, or a range YYYYMMDD-YYYYMMDD with either side optional';
    case 'TM':
      return 'HHMMSS[.FFFFFF] (trailing parts optional), or a range of such values';
    case 'DT':
      return 'YYYYMMDDHHMMSS[.FFFFFF][&ZZXX] (trailing parts optional), or a range of such values';
    case 'UI':
      return 'a UID (digits and dots, at most 64 characters) or a comma-separated list of UIDs';
    default:
      return NUMERIC_VRS.has(vr) ? 'a number' : 'a value';
  }
}
