/**
 * QIDO-RS (PS3.18 §10.6) by EHR identity: `PatientID=<id>&IssuerOfPatientID=<EHR issuer>`
 * is answered with what the archive holds under the linked archive identities.
 * The archive is asked once per linked identity (those answers go through the
 * shared QIDO cache: they do not depend on links); the merged rows are then
 * screened per request through services.identity, so a link or a
 * reconciliation decision shows in the very next answer. Kept rows carry the
 * EHR identifier in OtherPatientIDsSequence (0010,1002); held studies and a
 * missing link are told in Warning headers (warn-code 299, RFC 7234 §5.5, as
 * PS3.18 QIDO-RS uses them). The EHR answer itself is never cached: its
 * X-Gateway-Cache value is the least fresh outcome of the archive answers it was built from.
 */
import { makeAnswer, type CachedAnswer, type CacheOutcome, type MetadataCache } from '../cache/metadata-cache.js';
import { QidoService, warning } from '../dicomweb/qido/service.js';
import type { QidoQuery } from '../dicomweb/qido/query.js';
import type { GatewayServices } from '../services.js';
import type { UpstreamClient } from '../upstream/client.js';
import { demographicHints, ehrIdentityOf, queryForArchiveIdentity, studiesOfArchiveIdentity } from './qido-ehr-query.js';
import type { IdentityResolution, PatientIdentity, StudyRow } from './resolver.js';
import { stringOf, TAGS, withOtherPatientId } from './study-rows.js';

type Search = (query: QidoQuery, baseUrl: string) => Promise<{ answer: CachedAnswer; outcome: CacheOutcome }>;

const OUTCOME_RANK: CacheOutcome[] = ['HIT', 'BYPASS', 'MISS', 'STALE', 'STALE-IF-ERROR'];

/** The least fresh of the archive answers an EHR answer was built from. */
function combinedOutcome(outcomes: readonly CacheOutcome[]): CacheOutcome {
  return outcomes.reduce((worst, o) => (OUTCOME_RANK.indexOf(o) > OUTCOME_RANK.indexOf(worst) ? o : worst), 'HIT' as CacheOutcome);
}

function rowsOf(answer: CachedAnswer): StudyRow[] {
  if (answer.status !== 200) return [];
  const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
  return Array.isArray(parsed) ? (parsed as StudyRow[]) : [];
}

const KEY_TAG = { study: TAGS.studyUid, series: TAGS.seriesUid, instance: TAGS.sopUid } as const;

function distinctRows(rows: readonly StudyRow[], keyTag: string): StudyRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = stringOf(row, keyTag) ?? JSON.stringify(row);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function noLinkAnswer(resolution: IdentityResolution): CachedAnswer {
  const item = resolution.reconciliationId;
  const text = `The EHR identity (IssuerOfPatientID ${resolution.asked.issuer}) has no link to an archive patient; `
    + (item ? `reconciliation item ${item} (${resolution.reconciliationStatus ?? 'open'}) at /api/reconciliation/${item}`
      : resolution.notRecorded ? `it was not added to the reconciliation list: ${resolution.notRecorded}` : 'no reconciliation item could be opened');
  return makeAnswer(204, Buffer.alloc(0), { warning: warning(text) });
}

function screeningWarnings(held: number, excluded: number, ids: readonly string[]): string[] {
  const out: string[] = [];
  if (held > 0) {
    const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', …' : '');
    out.push(warning(`${held} ${held === 1 ? 'study awaits' : 'studies await'} reconciliation (demographics disagree with the identity link) and ${held === 1 ? 'is' : 'are'} not listed: /api/reconciliation items ${shown}`));
  }
  if (excluded > 0) out.push(warning(`${excluded} ${excluded === 1 ? 'study is' : 'studies are'} left out: a reconciliation decision says ${excluded === 1 ? 'it is' : 'they are'} not this patient's`));
  return out;
}

/** Series and instance searches: the studies their rows belong to, as study rows with the patient's demographics, to screen. */
async function studiesOf(query: QidoQuery, baseUrl: string, resolution: IdentityResolution, rows: readonly StudyRow[], archive: Search, outcomes: CacheOutcome[]): Promise<StudyRow[]> {
  const wanted = new Set(rows.map((r) => stringOf(r, TAGS.studyUid)));
  const studies: StudyRow[] = [];
  for (const pacs of resolution.pacs) {
    const part = await archive(studiesOfArchiveIdentity(query, pacs), baseUrl);
    outcomes.push(part.outcome);
    studies.push(...rowsOf(part.answer).filter((r) => wanted.has(stringOf(r, TAGS.studyUid))));
  }
  return distinctRows(studies, TAGS.studyUid);
}

export class IdentityAwareQidoService extends QidoService {
  constructor(
    upstream: UpstreamClient,
    cache: MetadataCache,
    private readonly services: Pick<GatewayServices, 'identity' | 'config'>,
  ) {
    super(upstream, cache, services.config.qido);
  }

  override async search(query: QidoQuery, baseUrl: string): Promise<{ answer: CachedAnswer; outcome: CacheOutcome }> {
    const ehr = ehrIdentityOf(query, this.services.config.identity.ehrIssuers);
    if (!ehr) return super.search(query, baseUrl);
    return this.searchByEhrIdentity(query, baseUrl, ehr, (q, b) => super.search(q, b));
  }

  /** Resolve, ask the archive per linked identity, merge, screen, page (PS3.18 §10.6.3: paging applies to what is returned). */
  private async searchByEhrIdentity(query: QidoQuery, baseUrl: string, ehr: Required<PatientIdentity>, archive: Search): Promise<{ answer: CachedAnswer; outcome: CacheOutcome }> {
    const { identity, config } = this.services;
    const resolution = await identity.resolve(ehr, { demographics: demographicHints(query) });
    if (resolution.pacs.length === 0) return { answer: noLinkAnswer(resolution), outcome: 'BYPASS' };
    const parts = [];
    for (const pacs of resolution.pacs) parts.push(await archive(queryForArchiveIdentity(query, pacs), baseUrl));
    const rows = distinctRows(parts.flatMap((p) => rowsOf(p.answer)), KEY_TAG[query.level]);
    const outcomes = parts.map((p) => p.outcome);
    const studies = query.level === 'study' ? rows : await studiesOf(query, baseUrl, resolution, rows, archive, outcomes);
    const screened = await identity.screenStudies(resolution, studies);
    const keptUids = new Set(screened.kept.map((r) => stringOf(r, TAGS.studyUid)));
    const kept = query.level === 'study' ? screened.kept : rows.filter((r) => keptUids.has(stringOf(r, TAGS.studyUid))).map((r) => withOtherPatientId(r, ehr));
    const limit = Math.min(query.limit ?? config.qido.maxResults, config.qido.maxResults);
    const page = kept.slice(query.offset, query.offset + limit);
    const warnings = new Set(parts.map((p) => p.answer.headers.warning).filter((w): w is string => w !== undefined));
    for (const w of screeningWarnings(screened.held, screened.excluded ?? 0, screened.reconciliationIds ?? [])) warnings.add(w);
    if (kept.length > query.offset + limit) warnings.add(warning('The number of results exceeded the limit; additional results can be requested with offset.'));
    const headers: Record<string, string> = warnings.size > 0 ? { warning: [...warnings].join(', ') } : {};
    const answer = page.length > 0 ? makeAnswer(200, Buffer.from(JSON.stringify(page)), headers) : makeAnswer(204, Buffer.alloc(0), headers);
    return { answer, outcome: combinedOutcome(outcomes) };
  }
}

