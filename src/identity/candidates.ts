/**
 * Archive patients that may be an EHR patient, found with bounded QIDO-RS
 * study searches (PS3.18 §10.6) straight to the upstream:
 * - the same PatientID value under any issuer (the EHR and the archive often
 *   share the number, the issuer differs or is missing);
 * - when the EHR's demographics are known: patients born that day (or, without
 *   a birth date, whose family name starts the same), kept when they agree.
 * Each candidate is scored against the EHR's demographics (demographics.ts).
 * Query values are sent only when made of characters Orthanc receives
 * unencoded (it does not percent-decode query strings).
 */
import type { UpstreamClient } from '../upstream/client.js';
import { compareDemographics, foldText } from './demographics.js';
import type { PatientIdentity, StudyRow } from './resolver.js';
import { demographicsOf, patientOf } from './study-rows.js';
import type { Candidate, Demographics } from './types.js';

/** Studies examined per search. */
const SCAN_LIMIT = 200;
/** Below this agreement, a patient found by demographics alone is not offered. */
const MIN_DEMOGRAPHIC_SCORE = 0.6;
const SAFE_VALUE = /^[A-Za-z0-9._-]{1,64}$/;
const PATIENT_TAGS = 'includefield=00100010,00100020,00100021,00100030,00100040,0020000D';

export interface CandidateSearch {
  upstream: Pick<UpstreamClient, 'getJson'>;
  ehrIssuers: readonly string[];
  maxCandidates: number;
}

export const candidateKey = (c: { patientId: string; issuerOfPatientId: string }) => `${c.patientId}\u0000${c.issuerOfPatientId}`;

async function studyRows(search: CandidateSearch, query: string): Promise<StudyRow[]> {
  const answer = await search.upstream.getJson('/studies', `${query}&${PATIENT_TAGS}&limit=${SCAN_LIMIT}`);
  return Array.isArray(answer) ? (answer.filter((r) => r && typeof r === 'object') as StudyRow[]) : [];
}

/** One candidate per archive patient among the rows. */
export function groupByPatient(rows: readonly StudyRow[], foundBy: Candidate['foundBy'][number], ehr: Demographics | undefined): Candidate[] {
  const byPatient = new Map<string, Candidate>();
  for (const row of rows) {
    const { patientId, issuer } = patientOf(row);
    if (!patientId) continue;
    const key = candidateKey({ patientId, issuerOfPatientId: issuer });
    const known = byPatient.get(key);
    if (known) {
      known.studies++;
      continue;
    }
    const demographics = demographicsOf(row);
    const match = compareDemographics(ehr, demographics);
    byPatient.set(key, { patientId, issuerOfPatientId: issuer, demographics, studies: 1, ...(match.score !== undefined && { score: match.score }), fields: match.fields, foundBy: [foundBy] });
  }
  return [...byPatient.values()];
}

function demographicQuery(ehr: Demographics | undefined): string | undefined {
  if (ehr?.birthDate) return `PatientBirthDate=${ehr.birthDate}`;
  const family = ehr?.name?.split('=')[0]?.split(/[\^,]/)[0];
  const folded = family ? foldText(family).replace(/ /g, '') : '';
  return SAFE_VALUE.test(folded) && folded.length >= 2 ? `PatientName=${folded}*` : undefined;
}

/** Highest score first (unscored last), then the patient with more studies. */
export function rankCandidates(candidates: Candidate[], max: number): Candidate[] {
  return candidates
    .sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || b.studies - a.studies)
    .slice(0, max);
}

export function mergeCandidates(lists: readonly Candidate[][]): Candidate[] {
  const merged = new Map<string, Candidate>();
  for (const c of lists.flat()) {
    const known = merged.get(candidateKey(c));
    if (!known) merged.set(candidateKey(c), { ...c, foundBy: [...c.foundBy] });
    else for (const why of c.foundBy) if (!known.foundBy.includes(why)) known.foundBy.push(why);
  }
  return [...merged.values()];
}

/** Candidates for an EHR identity without a link; `exclude` holds candidateKey()s already rejected for it. */
export async function findCandidates(search: CandidateSearch, ehr: PatientIdentity, demographics: Demographics | undefined, exclude: ReadonlySet<string> = new Set()): Promise<Candidate[]> {
  const lists: Candidate[][] = [];
  if (SAFE_VALUE.test(ehr.id)) lists.push(groupByPatient(await studyRows(search, `PatientID=${ehr.id}`), 'patientId', demographics));
  lists.push(await findByDemographics(search, demographics));
  const eligible = mergeCandidates(lists).filter((c) => !exclude.has(candidateKey(c)) && !search.ehrIssuers.includes(c.issuerOfPatientId));
  return rankCandidates(eligible, search.maxCandidates);
}

/** Archive patients whose demographics agree with the EHR's (none when those are unknown). */
export async function findByDemographics(search: CandidateSearch, demographics: Demographics | undefined): Promise<Candidate[]> {
  const query = demographicQuery(demographics);
  if (!query) return [];
  const found = groupByPatient(await studyRows(search, query), 'demographics', demographics);
  return found.filter((c) => (c.score ?? 0) >= MIN_DEMOGRAPHIC_SCORE);
}
