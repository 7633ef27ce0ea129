/**
 * Parses and validates QIDO-RS query parameters (PS3.18 §8.3.4, §10.6.1.2).
 * Everything a client can get wrong is answered here with a 400 naming the
 * parameter, before anything reaches the upstream.
 */
import { BadRequestError } from '../../http/errors.js';
import { lookupPath, type AttributeInfo } from '../../dicom/dictionary.js';
import { NUMERIC_VRS, RANGE_VRS, WILDCARD_VRS, isValidDateTime, isValidNumber, splitRange, syntaxHint } from '../../dicom/vr.js';
import { isSafeUidSegment } from '../../dicom/uid.js';
import type { QueryLevel } from './levels.js';
import type { MatchKind, QidoQuery, QueryFilter } from './query.js';

const MAX_VALUE_LENGTH = 1024;
const CONTROL_PARAMETERS = new Set(['limit', 'offset', 'fuzzymatching', 'includefield', 'emptyvaluematching', 'multiplevaluematching']);

function decodeComponent(text: string, parameter?: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadRequestError('QIDO_BAD_ENCODING', `Query component "${text.slice(0, 80)}" is not valid percent-encoded UTF-8.`, parameter ? { parameter } : {});
  }
}

/**
 * Splits a query string per RFC 3986: `+` is a literal plus, not a space
 * (DICOMweb clients encode spaces as %20); malformed escapes are a 400.
 */
export function parseQueryString(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq === -1 ? piece : piece.slice(0, eq));
    out.push([name, eq === -1 ? '' : decodeComponent(piece.slice(eq + 1), name)]);
  }
  return out;
}

export interface ParseContext {
  level: QueryLevel;
  studyUid?: string;
  seriesUid?: string;
  ignoredParameters: readonly string[];
}

function resolvePath(param: string, what: string): AttributeInfo[] {
  const path = lookupPath(param);
  if (!path) {
    throw new BadRequestError('QIDO_UNKNOWN_ATTRIBUTE', `${what} "${param}" is not a DICOM attribute keyword, tag (8 hex digits) or sequence path.`, { parameter: param });
  }
  return path;
}

function parseNonNegative(param: string, raw: string, min: number): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) {
    throw new BadRequestError('QIDO_BAD_PAGING', `"${param}" must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${raw}".`, { parameter: param });
  }
  return Number(raw);
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  throw new BadRequestError('QIDO_BAD_BOOLEAN', `"${name}" must be true or false, got "${raw}".`, { parameter: name });
}

function badValue(param: string, vr: string, value: string): BadRequestError {
  return new BadRequestError('QIDO_BAD_VALUE', `Value "${value}" of "${param}" (VR ${vr}) is malformed: expected ${syntaxHint(vr)}.`, { parameter: param });
}

function classify(param: string, vr: string, value: string): { kind: MatchKind; values: string[] } {
  if (value === '') return { kind: 'universal', values: [] };
  if (vr === 'SQ') {
    throw new BadRequestError('QIDO_BAD_VALUE', `"${param}" is a sequence: match on an attribute inside it (e.g. ${param}.CodeValue=...).`, { parameter: param });
  }
  if (vr === 'UI') {
    const values = value.split(/[,\\]/);
    if (!values.every(isSafeUidSegment)) throw badValue(param, vr, value);
    return { kind: values.length > 1 ? 'list' : 'single', values };
  }
  if (RANGE_VRS.has(vr)) {
    if (isValidDateTime(vr, value)) return { kind: 'single', values: [value] };
    const range = splitRange(vr, value);
    if (!range) throw badValue(param, vr, value);
    return { kind: 'range', values: [range.from, range.to] };
  }
  if (NUMERIC_VRS.has(vr)) {
    if (!isValidNumber(value)) throw badValue(param, vr, value);
    return { kind: 'single', values: [value] };
  }
  if (vr === 'CS' && value.includes(',')) return { kind: 'list', values: value.split(',') };
  if (WILDCARD_VRS.has(vr) && /[*?]/.test(value)) return { kind: 'wildcard', values: [value] };
  return { kind: 'single', values: [value] };
}

function parseFilter(param: string, value: string): QueryFilter {
  const path = resolvePath(param, 'Query key');
  if (value.length > MAX_VALUE_LENGTH) {
    throw new BadRequestError('QIDO_BAD_VALUE', `Value of "${param}" is longer than ${MAX_VALUE_LENGTH} characters.`, { parameter: param });
  }
  const vr = path[path.length - 1]!.vr;
  const trimmed = vr === 'UI' ? value.trim() : value.replace(/\s+$/, '');
  return { param, path, vr, value: trimmed, ...classify(param, vr, trimmed) };
}

function parseIncludeFields(values: string[]): { includeAll: boolean; includeFields: AttributeInfo[][] } {
  let includeAll = false;
  const includeFields: AttributeInfo[][] = [];
  for (const field of values.flatMap((v) => v.split(',')).map((f) => f.trim()).filter(Boolean)) {
    if (field.toLowerCase() === 'all') includeAll = true;
    else includeFields.push(resolvePath(field, 'includefield'));
  }
  return { includeAll, includeFields };
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new BadRequestError('QIDO_DUPLICATE_PARAMETER', `"${name}" is given more than once.`, { parameter: name });
  return values[0];
}

/** Parses the raw query string of a QIDO-RS request. */
export function parseQidoQuery(rawQuery: string, ctx: ParseContext): QidoQuery {
  const params = parseQueryString(rawQuery);
  const ignored = new Set(ctx.ignoredParameters);
  const filters: QueryFilter[] = [];
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (CONTROL_PARAMETERS.has(name.toLowerCase()) || ignored.has(name)) continue;
    if (seen.has(name)) throw new BadRequestError('QIDO_DUPLICATE_PARAMETER', `"${name}" is given more than once.`, { parameter: name });
    seen.add(name);
    filters.push(parseFilter(name, value));
  }
  const lower = new URLSearchParams(params.map(([k, v]): [string, string] => [CONTROL_PARAMETERS.has(k.toLowerCase()) ? k.toLowerCase() : k, v]));
  const limitText = single(lower, 'limit');
  const offsetText = single(lower, 'offset');
  return {
    level: ctx.level,
    studyUid: ctx.studyUid,
    seriesUid: ctx.seriesUid,
    filters,
    ...parseIncludeFields(lower.getAll('includefield')),
    fuzzy: parseBoolean('fuzzymatching', single(lower, 'fuzzymatching'), false),
    emptyValueMatching: parseBoolean('emptyvaluematching', single(lower, 'emptyvaluematching'), false),
    multipleValueMatching: parseBoolean('multiplevaluematching', single(lower, 'multiplevaluematching'), true),
    limit: limitText === undefined ? undefined : parseNonNegative('limit', limitText, 1),
    offset: offsetText === undefined ? 0 : parseNonNegative('offset', offsetText, 0),
  };
}
