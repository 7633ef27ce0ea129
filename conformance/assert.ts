/**
 * Assertions for the cases. Each throws an Error whose message is the one line
 * printed for a failed case, so messages name what was asked and what came back.
 */
import type { HttpAnswer } from './http.js';
import type { DicomDataset } from './dicom-json.js';

/** Thrown by a case that does not apply to the target (reported as SKIP). */
export class CaseSkip extends Error {}

export function skip(reason: string): never {
  throw new CaseSkip(reason);
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** A short description of an answer for failure messages. */
export function describe(res: HttpAnswer): string {
  const type = res.headers['content-type'] ?? 'no Content-Type';
  const text = res.text().replace(/\s+/g, ' ').trim();
  const snippet = text.length > 120 ? `${text.slice(0, 120)}...` : text;
  return `HTTP ${res.status} (${type})${snippet ? `: ${snippet}` : ''}`;
}

export function expectStatus(res: HttpAnswer, ...allowed: number[]): void {
  check(allowed.includes(res.status), `expected HTTP ${allowed.join(' or ')}, got ${describe(res)}`);
}

export function mediaTypeOf(res: HttpAnswer): string {
  return (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The answer as a DICOM JSON array: HTTP 200, a JSON media type, an array of objects. */
export function datasets(res: HttpAnswer): DicomDataset[] {
  expectStatus(res, 200);
  const type = mediaTypeOf(res);
  check(type === 'application/dicom+json' || type === 'application/json', `expected a DICOM JSON answer, got Content-Type "${res.headers['content-type'] ?? ''}"`);
  const body = res.json();
  check(Array.isArray(body), `expected a JSON array, got ${typeof body}`);
  check(body.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d)), 'expected an array of DICOM JSON objects');
  return body as DicomDataset[];
}

const list = (values: readonly string[]): string => (values.length ? values.map((v) => (v.length > 24 ? `…${v.slice(-18)}` : v)).join(', ') : '(none)');

/** Same members, any order. */
export function expectSameSet(actual: readonly string[], expected: readonly string[], what: string): void {
  const missing = expected.filter((e) => !actual.includes(e));
  const extra = actual.filter((a) => !expected.includes(a));
  check(missing.length === 0 && extra.length === 0 && actual.length === expected.length,
    `${what}: expected {${list(expected)}}, got {${list(actual)}}${missing.length ? `; missing ${list(missing)}` : ''}${extra.length ? `; unexpected ${list(extra)}` : ''}`);
}

/** Every expected member present (the target may hold more data than the fixtures). */
export function expectIncludes(actual: readonly string[], expected: readonly string[], what: string): void {
  const missing = expected.filter((e) => !actual.includes(e));
  check(missing.length === 0, `${what}: missing ${list(missing)} (got ${actual.length}: {${list(actual)}})`);
}

export function expectEqual<T>(actual: T, expected: T, what: string): void {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Tags (with their keywords for the message) missing from a dataset. */
export function expectTags(dataset: DicomDataset, required: Readonly<Record<string, string>>, where: string): void {
  const missing = Object.entries(required).filter(([, tag]) => !(tag in dataset)).map(([keyword, tag]) => `${keyword} (${tag})`);
  check(missing.length === 0, `${where}: missing ${missing.join(', ')}`);
}

/** All Warning header values with warn-code 299. */
export function warnings299(res: HttpAnswer): string[] {
  const header = res.headers['warning'];
  if (!header) return [];
  return header.split(/,\s*(?=\d{3}\s)/).map((w) => w.trim()).filter((w) => w.startsWith('299'));
}
