/**
 * Screening of the studies found under an EHR identity's links. A study is
 * kept (and gets the EHR identifier in OtherPatientIDsSequence) when its
 * patient is a linked archive identity whose demographics agree with the
 * link's (score ≥ identity.matchThreshold, or nothing to compare). Otherwise
 * it is held: a DEMOGRAPHICS_MISMATCH item (one per EHR identity and study,
 * reused on repeated queries) waits for a person. Decisions stick:
 * resolved → kept from then on; rejected → left out and not raised again;
 * linked → kept when the study's patient is the identity linked.
 */
import { compareDemographics, agrees } from './demographics.js';
import { candidateKey, findByDemographics, groupByPatient, mergeCandidates, rankCandidates } from './candidates.js';
import type { ResolverDeps } from './linked-resolver.js';
import type { PatientIdentity, ScreenedStudies, StudyRow } from './resolver.js';
import { demographicsOf, pacsIdentityOf, rowIsPatient, stringOf, studySummaryOf, TAGS, withOtherPatientId } from './study-rows.js';
import type { Candidate, Link, MatchScore, ReconciliationItem } from './types.js';

type Verdict = { kind: 'keep' } | { kind: 'held'; itemId: string } | { kind: 'excluded' };

const KEEP: Verdict = { kind: 'keep' };
const EXCLUDED: Verdict = { kind: 'excluded' };

function decided(row: StudyRow, prior: ReconciliationItem): Verdict | undefined {
  switch (prior.status) {
    case 'rejected':
      return EXCLUDED;
    case 'resolved':
      return KEEP;
    case 'linked': {
      const to = prior.decision?.linkedTo;
      return to && rowIsPatient(row, { id: to.patientId, ...(to.issuerOfPatientId && { issuer: to.issuerOfPatientId }) }) ? KEEP : EXCLUDED;
    }
    default:
      return undefined;
  }
}

/** The held study's own patient, then other archive patients agreeing with the EHR's demographics (not those already linked). */
async function mismatchCandidates(deps: ResolverDeps, row: StudyRow, link: Link | undefined, links: readonly Link[]): Promise<Candidate[]> {
  const own = groupByPatient([row], 'study', link?.demographics);
  const linked = new Set(links.map((l) => candidateKey({ patientId: l.pacs.patientId, issuerOfPatientId: l.pacs.issuer })));
  let others: Candidate[] = [];
  try {
    others = (await findByDemographics(deps.search, link?.demographics)).filter((c) => !linked.has(candidateKey(c)));
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'identity: candidate search failed');
  }
  return rankCandidates(mergeCandidates([own, others]), deps.config.maxCandidates);
}

async function hold(deps: ResolverDeps, ehr: Required<PatientIdentity>, row: StudyRow, links: readonly Link[], link: Link | undefined, match: MatchScore): Promise<Verdict> {
  const study = studySummaryOf(row)!;
  const opened = await deps.items.open({
    reason: 'DEMOGRAPHICS_MISMATCH',
    ehr: { id: ehr.id, issuer: ehr.issuer },
    ...(link?.demographics && { ehrDemographics: link.demographics }),
    study,
    ...(link && { linkId: link.id }),
    score: match.score ?? 0,
    candidates: await mismatchCandidates(deps, row, link, links),
  });
  if (opened.created) deps.observer.itemOpened('DEMOGRAPHICS_MISMATCH');
  return { kind: 'held', itemId: opened.item.id };
}

async function verdictOf(deps: ResolverDeps, ehr: Required<PatientIdentity>, row: StudyRow, links: readonly Link[], prior: ReconciliationItem | undefined): Promise<Verdict> {
  const decision = prior && decided(row, prior);
  if (decision) return decision;
  const link = links.find((l) => rowIsPatient(row, pacsIdentityOf(l)));
  const uid = stringOf(row, TAGS.studyUid);
  if (!uid) return link ? KEEP : EXCLUDED; // not a study row: nothing to reconcile it by
  // A study whose patient is no linked identity cannot be this patient's without a person saying so.
  const match = link ? compareDemographics(link.demographics, demographicsOf(row)) : { score: 0, fields: {} };
  if (link && agrees(match, deps.config.matchThreshold)) return KEEP;
  if (prior) return { kind: 'held', itemId: prior.id };
  return hold(deps, ehr, row, links, link, match);
}

/** Screens study rows (each with StudyInstanceUID, PatientID, IssuerOfPatientID and demographics) for one EHR identity. */
export async function screenStudies(deps: ResolverDeps, ehr: Required<PatientIdentity>, studies: readonly StudyRow[]): Promise<ScreenedStudies> {
  const links = await deps.links.forEhr(ehr.id, ehr.issuer);
  const uids = studies.map((row) => stringOf(row, TAGS.studyUid)).filter((u): u is string => u !== undefined);
  const priors = await deps.items.forStudies(ehr.id, ehr.issuer, uids);
  const kept: StudyRow[] = [];
  const heldIds = new Set<string>();
  let excluded = 0;
  for (const row of studies) {
    const verdict = await verdictOf(deps, ehr, row, links, priors.get(stringOf(row, TAGS.studyUid) ?? ''));
    if (verdict.kind === 'keep') kept.push(withOtherPatientId(row, ehr));
    else if (verdict.kind === 'held') heldIds.add(verdict.itemId);
    else excluded++;
  }
  return { kept, held: heldIds.size, reconciliationIds: [...heldIds], excluded };
}
