/**
 * Matching of DICOM JSON datasets against QIDO filters, per PS3.4 C.2.2.2.
 * The gateway matches itself whatever the upstream cannot match faithfully
 * (fuzzy person names, values an upstream cannot receive, nested paths).
 */
import type { QueryFilter } from './query.js';

export type DicomJson = Record<string, { vr: string; Value?: unknown[]; [k: string]: unknown }>;

/** All values at a (possibly nested) path; sequence items are searched any-of. */
export function valuesAt(dataset: DicomJson, tags: readonly string[]): unknown[] {
  const [head, ...rest] = tags;
  const values = (head !== undefined && dataset[head]?.Value) || [];
  if (rest.length === 0) return values;
  return values.flatMap((item) => (item && typeof item === 'object' ? valuesAt(item as DicomJson, rest) : []));
}

/** PN values are objects with component groups; each group is matched any-of. */
function asStrings(vr: string, value: unknown): string[] {
  if (vr === 'PN' && value && typeof value === 'object') {
    const pn = value as Record<string, unknown>;
    return ['Alphabetic', 'Ideographic', 'Phonetic'].map((g) => pn[g]).filter((v): v is string => typeof v === 'string');
  }
  return value === null || value === undefined ? [] : [String(value)];
}

function wildcardRegex(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** Lower-cases and strips diacritics: "Müller" and "MULLER" compare equal. */
export function foldName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Fuzzy person-name matching (PS3.4 C.2.2.2.1.1 leaves the semantics to the SCP):
 * every word of the query, case- and accent-folded, must prefix-match some name
 * component word, in any order; `*` and `?` keep their wildcard meaning.
 */
export function fuzzyNameMatches(query: string, name: string): boolean {
  const nameWords = foldName(name).split(/[\^=\s,-]+/).filter(Boolean);
  const queryWords = foldName(query).split(/[\^=\s,]+/).filter(Boolean);
  return queryWords.every((word) => {
    const re = wildcardRegex(word.replace(/\*+$/, '') + '*', 'u');
    return nameWords.some((w) => re.test(w));
  });
}

/** Range matching on DA/TM/DT with partial bounds compared at their own precision. */
function inRange(value: string, from: string, to: string): boolean {
  const v = value.trim();
  if (from !== '' && v.slice(0, from.length) < from) return false;
  if (to !== '' && v.slice(0, to.length) > to) return false;
  return true;
}

function matchesOne(filter: QueryFilter, value: string, fuzzy: boolean): boolean {
  const v = value.replace(/\s+$/, '');
  const isPn = filter.vr === 'PN';
  switch (filter.kind) {
    case 'universal':
      return true;
    case 'single':
      if (isPn && fuzzy) return fuzzyNameMatches(filter.value, v);
      if (isPn) return v.toLowerCase() === filter.value.toLowerCase();
      if (filter.vr === 'DA' || filter.vr === 'TM' || filter.vr === 'DT') return inRange(v, filter.value, filter.value);
      return v === filter.value;
    case 'wildcard':
      if (isPn && fuzzy) return fuzzyNameMatches(filter.value, v);
      return wildcardRegex(filter.value, isPn ? 'iu' : 'u').test(v);
    case 'range':
      return inRange(v, filter.values[0] ?? '', filter.values[1] ?? '');
    case 'list':
      return filter.values.includes(v);
  }
}

function numericEqual(filter: QueryFilter, value: unknown): boolean {
  return typeof value === 'number' && Number(filter.value) === value;
}

export interface MatchOptions {
  fuzzy: boolean;
  /** An attribute that is absent or has no value matches any filter (PS3.18 Table 8.3.4-1). */
  emptyValueMatching?: boolean;
}

export function matchesFilter(dataset: DicomJson, filter: QueryFilter, options: MatchOptions): boolean {
  if (filter.kind === 'universal') return true;
  const values = valuesAt(dataset, filter.path.map((a) => a.tag));
  if (values.length === 0) return options.emptyValueMatching === true;
  return values.some((value) =>
    numericEqual(filter, value) || asStrings(filter.vr, value).some((s) => matchesOne(filter, s, options.fuzzy)),
  );
}

export function matchesAll(dataset: DicomJson, filters: readonly QueryFilter[], options: MatchOptions): boolean {
  return filters.every((f) => matchesFilter(dataset, f, options));
}
