/**
 * Demographic matching between what the EHR says of a patient and what a
 * study in the archive says: normalized person name, birth date, sex.
 *
 * Names are DICOM PN (PS3.5 §6.2.1: component groups separated by "=", the
 * first being the alphabetic one; components Family^Given^Middle^Prefix^Suffix)
 * or plain text from an EHR ("Given Family" or "Family, Given"). Both are
 * case-folded, stripped of accents and punctuation, and compared by component
 * where both are structured, by word otherwise.
 *
 * The score is a weighted mean over the fields both sides know (name 0.5,
 * birth date 0.35, sex 0.15, renormalized): a missing field is unknown, not a
 * disagreement. No comparable field at all gives no score.
 */
import type { Demographics, MatchScore } from './types.js';

export const FIELD_WEIGHTS = { name: 0.5, birthDate: 0.35, sex: 0.15 } as const;

export interface NormalizedName {
  /** Family name, folded, words joined without spaces ("van der Berg" → "vanderberg"). */
  family: string;
  /** Given and middle name words, folded. */
  given: string[];
  /** Every word of the name, folded. */
  words: string[];
  /** True when the source said which part is the family name (PN components or "Family, Given"). */
  structured: boolean;
}

/** Letters that Unicode decomposition leaves as they are. */
const LIGATURES: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', þ: 'th', ı: 'i' };

/** Case-folds, strips accents, drops apostrophes, turns other punctuation into spaces, collapses spaces. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđþı]/g, (c) => LIGATURES[c] ?? c)
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function wordsOf(text: string): string[] {
  const folded = foldText(text);
  return folded === '' ? [] : folded.split(' ');
}

/** The first non-empty component group (alphabetic, else ideographic, else phonetic). */
function firstGroup(pn: string): string {
  return pn.split('=').find((group) => group.replace(/\^/g, '').trim() !== '') ?? '';
}

function structuredName(familyText: string, givenText: string): NormalizedName | undefined {
  const family = wordsOf(familyText);
  const given = wordsOf(givenText);
  if (family.length === 0 && given.length === 0) return undefined;
  return { family: family.join(''), given, words: [...family, ...given], structured: true };
}

export function normalizeName(raw: string | undefined): NormalizedName | undefined {
  if (raw === undefined) return undefined;
  const group = firstGroup(raw);
  if (group.includes('^')) {
    const [family = '', given = '', middle = ''] = group.split('^'); // prefix and suffix do not identify
    return structuredName(family, `${given} ${middle}`);
  }
  const comma = group.indexOf(',');
  if (comma !== -1) return structuredName(group.slice(0, comma), group.slice(comma + 1));
  const words = wordsOf(group);
  if (words.length === 0) return undefined;
  // One word alone is a family name (how archives and EHRs store names without given names).
  if (words.length === 1) return { family: words[0]!, given: [], words, structured: true };
  return { family: words[words.length - 1]!, given: words.slice(0, -1), words, structured: false };
}

/** Given names of two records whose family names agree. */
function givenAgreement(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0.7;
  const [first, other] = [a[0]!, b[0]!];
  if (first === other) return a.join(' ') === b.join(' ') ? 1 : 0.9;
  const initialOf = (x: string, y: string) => x.length === 1 && y.startsWith(x);
  if (initialOf(first, other) || initialOf(other, first)) return 0.8;
  return 0.4;
}

function sameWordSet(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((w) => setB.has(w));
}

/**
 * 1 for the same name; partial credit for the same family name with other or
 * missing given names, for family and given swapped, for shared words.
 */
export function nameScore(a: NormalizedName, b: NormalizedName): number {
  if (a.structured && b.structured) {
    if (a.family !== '' && a.family === b.family) return givenAgreement(a.given, b.given);
    if (a.family !== '' && a.family === b.given.join('') && b.family === a.given.join('')) return 0.85;
  }
  if (sameWordSet(a.words, b.words)) return a.structured && b.structured ? 0.85 : 0.95;
  const setB = new Set(b.words);
  const shared = new Set(a.words.filter((w) => setB.has(w))).size;
  const union = new Set([...a.words, ...b.words]).size;
  const familyShared = (a.structured && setB.has(a.family)) || (b.structured && a.words.includes(b.family));
  return Math.max(familyShared ? 0.5 : 0, 0.6 * (shared / union));
}

/** 1 equal; 0.5 for a likely typing error (month and day swapped, one digit off); 0 otherwise. */
export function birthDateScore(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length !== 8 || b.length !== 8) return 0;
  if (a.slice(0, 4) === b.slice(0, 4) && a.slice(4, 6) === b.slice(6, 8) && a.slice(6, 8) === b.slice(4, 6)) return 0.5;
  let differing = 0;
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) differing++;
  return differing === 1 ? 0.5 : 0;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Agreement of the EHR's demographics with an archive record. */
export function compareDemographics(ehr: Demographics | undefined, archive: Demographics | undefined): MatchScore {
  const fields: MatchScore['fields'] = {};
  const nameA = normalizeName(ehr?.name);
  const nameB = normalizeName(archive?.name);
  if (nameA && nameB) fields.name = round(nameScore(nameA, nameB));
  if (ehr?.birthDate && archive?.birthDate) fields.birthDate = birthDateScore(ehr.birthDate, archive.birthDate);
  if (ehr?.sex && archive?.sex) fields.sex = ehr.sex === archive.sex ? 1 : 0;
  let weighted = 0;
  let weights = 0;
  for (const key of Object.keys(fields) as Array<keyof typeof fields>) {
    weighted += FIELD_WEIGHTS[key] * fields[key]!;
    weights += FIELD_WEIGHTS[key];
  }
  return weights === 0 ? { fields } : { score: round(weighted / weights), fields };
}

/** True when a study agrees with the link well enough to be shown as that patient's (no comparable field: nothing contradicts the link). */
export function agrees(match: MatchScore, threshold: number): boolean {
  return match.score === undefined || match.score >= threshold;
}
