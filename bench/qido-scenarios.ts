// The QIDO-RS scenarios, derived from the generated population so that the
// queries match a known share of it. Warm scenarios repeat one URL; cold ones
// give every request a distinct URL (so the gateway's cache never answers)
// that still costs the upstream the same work.
import type { StudySpec } from '../scripts/fixtures/generate.js';
import type { Goal } from './lib/report.js';
import type { PathSource } from './lib/rounds.js';

export interface QidoScenario {
  id: string;
  title: string;
  /** How the URL sequence is built, for the printout. */
  description: string;
  /** Request i (i >= 1 are measured; i = 0 is the correctness check). */
  path: PathSource;
  goal: Goal;
  /** Studies the check URL should match, from the population spec. */
  expectedMatches: number;
}

/** Scenario ids in run order (for --only, checked before any setup). */
export const SCENARIO_IDS = ['list-warm', 'list-cold', 'patient-warm', 'patient-cold'] as const;

export const WARM_GOAL: Goal = { minRatio: 20, maxGatewayP50Ms: 2 };
export const COLD_GOAL: Goal = { minRatio: 0.9 };

/** OHIF's study-list query (queryLimit 101), with the fields its list shows. */
const OHIF_LIMIT = 101;
const OHIF_TAIL = `limit=${OHIF_LIMIT}&offset=0&fuzzymatching=false&includefield=00081030,00080060`;

function yyyymmdd(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

/** The ASCII initial shared by most patient names (Orthanc matches PN case-insensitively). */
function commonestInitial(specs: readonly StudySpec[]): string {
  const counts = new Map<string, number>();
  for (const s of specs) {
    const initial = s.patientName.charAt(0).toUpperCase();
    if (/^[A-Z]$/.test(initial)) counts.set(initial, (counts.get(initial) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  if (!best) throw new Error('no patient name starts with an ASCII letter; cannot build the study-list query');
  return best[0];
}

interface StudyList {
  prefix: string;
  from: string;
  /** Last day of the latest study's year: the warm range covers every study. */
  to: string;
  matches: number;
  /** End date for cold request i: one day later per request, all after the last study. */
  coldTo(i: number): string;
}

function studyList(specs: readonly StudySpec[]): StudyList {
  const prefix = commonestInitial(specs);
  const dates = specs.map((s) => s.studyDate).sort();
  const firstYear = dates[0]!.slice(0, 4);
  const lastYear = Number(dates[dates.length - 1]!.slice(0, 4));
  const coldStart = Date.UTC(lastYear + 1, 0, 1);
  return {
    prefix,
    from: `${firstYear}0101`,
    to: `${lastYear}1231`,
    matches: Math.min(OHIF_LIMIT, specs.filter((s) => s.patientName.toUpperCase().startsWith(prefix)).length),
    coldTo: (i) => yyyymmdd(new Date(coldStart + i * 86_400_000)),
  };
}

/** Patient IDs in first-seen order, with their study counts. */
function patients(specs: readonly StudySpec[]): Array<{ id: string; studies: number }> {
  const counts = new Map<string, number>();
  for (const s of specs) counts.set(s.patientId, (counts.get(s.patientId) ?? 0) + 1);
  return [...counts].map(([id, studies]) => ({ id, studies }));
}

/** Cold one-patient queries add limit=COLD_LIMIT_BASE+cycle: same answer, distinct cache key. */
const COLD_LIMIT_BASE = 100;

function listScenarios(specs: readonly StudySpec[]): QidoScenario[] {
  const list = studyList(specs);
  const listUrl = (to: string) => `/studies?PatientName=${list.prefix}*&StudyDate=${list.from}-${to}&${OHIF_TAIL}`;
  return [
    {
      id: 'list-warm',
      title: 'OHIF study list, warm (one URL repeated)',
      description: listUrl(list.to),
      path: () => listUrl(list.to),
      goal: WARM_GOAL,
      expectedMatches: list.matches,
    },
    {
      id: 'list-cold',
      title: 'OHIF study list, cold (distinct URL per request, same matches)',
      description: `${listUrl('<END>')}, END = ${list.coldTo(1)}, ${list.coldTo(2)}, ... (one day later per request, all after the last study)`,
      path: (i) => listUrl(list.coldTo(i)),
      goal: COLD_GOAL,
      expectedMatches: list.matches,
    },
  ];
}

function patientScenarios(specs: readonly StudySpec[]): QidoScenario[] {
  const people = patients(specs);
  const busiest = [...people].sort((a, b) => b.studies - a.studies)[0]!;
  const patientAt = (i: number) => people[i % people.length]!;
  return [
    {
      id: 'patient-warm',
      title: 'one-patient query, warm (one URL repeated)',
      description: `/studies?PatientID=${busiest.id} (the patient with most studies)`,
      path: () => `/studies?PatientID=${busiest.id}`,
      goal: WARM_GOAL,
      expectedMatches: busiest.studies,
    },
    {
      id: 'patient-cold',
      title: 'one-patient query, cold (next patient each request)',
      description: `/studies?PatientID=<ID>&limit=<L>, cycling through all ${people.length} patients; L = ${COLD_LIMIT_BASE} + completed cycles, so no URL repeats`,
      path: (i) => `/studies?PatientID=${patientAt(i).id}&limit=${COLD_LIMIT_BASE + Math.floor(i / people.length)}`,
      goal: COLD_GOAL,
      expectedMatches: patientAt(0).studies,
    },
  ];
}

/** All scenarios, in SCENARIO_IDS order. */
export function qidoScenarios(specs: readonly StudySpec[]): QidoScenario[] {
  return [...listScenarios(specs), ...patientScenarios(specs)];
}
