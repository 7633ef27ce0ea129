/**
 * HTTP Range on single-part bulk data answers (PS3.18 §8.6.1.1: single part
 * payloads may be requested with an HTTP Range request; RFC 9110 §14). One
 * range of the `bytes` unit is supported; several ranges, other units and
 * malformed headers are ignored, as RFC 9110 §14.2 allows, and answered whole.
 */
export type RangeRequest = { kind: 'from'; start: number; end?: number } | { kind: 'suffix'; length: number };

export interface ResolvedRange {
  start: number;
  /** Inclusive. */
  end: number;
}

const SINGLE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

export function parseRange(header: string | undefined): RangeRequest | undefined {
  const match = header ? SINGLE_RANGE.exec(header.replace(/\s+/g, '')) : null;
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') return { kind: 'suffix', length: Number(last) };
  const start = Number(first);
  if (last === '') return { kind: 'from', start };
  const end = Number(last);
  return end < start ? undefined : { kind: 'from', start, end };
}

/** The bytes to send of a value of `total` bytes, or 'unsatisfiable' (416). */
export function resolveRange(range: RangeRequest, total: number): ResolvedRange | 'unsatisfiable' {
  if (range.kind === 'suffix') {
    if (range.length === 0 || total === 0) return 'unsatisfiable';
    return { start: Math.max(0, total - range.length), end: total - 1 };
  }
  if (range.start >= total) return 'unsatisfiable';
  return { start: range.start, end: Math.min(total - 1, range.end ?? total - 1) };
}

export function contentRange(range: ResolvedRange, total: number): string {
  return `bytes ${range.start}-${range.end}/${total}`;
}
