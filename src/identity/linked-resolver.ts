/**
 * The link-backed IdentityResolver: an identity whose issuer is one of
 * identity.ehrIssuers is an EHR identity and resolves to the archive
 * identities linked to it. Without a link, a NO_LINK reconciliation item says
 * so, with scored candidates from the archive. Studies found under a link are
 * screened against the link's EHR demographics (screening.ts).
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { candidateKey, findCandidates, type CandidateSearch } from './candidates.js';
import type { LinkRepository } from './link-repository.js';
import type { IdentityObserver } from './metrics.js';
import type { ReconciliationRepository } from './reconciliation-repository.js';
import type { IdentityResolution, IdentityResolver, PatientIdentity, ResolveOptions, ScreenedStudies, StudyRow } from './resolver.js';
import { screenStudies } from './screening.js';
import type { NoLinkQuota } from './no-link-quota.js';
import { pacsIdentityOf } from './study-rows.js';
import type { Candidate, Demographics, ReconciliationItem } from './types.js';

export interface ResolverDeps {
  links: LinkRepository;
  items: ReconciliationRepository;
  search: CandidateSearch;
  config: GatewayConfig['identity'];
  observer: IdentityObserver;
  logger: Logger;
  /** NO_LINK items a caller may open per hour (no-link-quota.ts). */
  quota: NoLinkQuota;
  /** The caller of the current request ("kind:id"), undefined outside requests. */
  caller: () => string | undefined;
}

export class LinkedIdentityResolver implements IdentityResolver {
  constructor(private readonly deps: ResolverDeps) {}

  isEhr(identity: PatientIdentity): identity is Required<PatientIdentity> {
    return identity.issuer !== undefined && this.deps.config.ehrIssuers.includes(identity.issuer);
  }

  async resolve(identity: PatientIdentity, options: ResolveOptions = {}): Promise<IdentityResolution> {
    if (!this.isEhr(identity)) return { asked: identity, ehr: false, pacs: [identity] };
    const links = await this.deps.links.forEhr(identity.id, identity.issuer);
    if (links.length > 0) {
      this.deps.observer.resolved('linked');
      return { asked: identity, ehr: true, pacs: links.map(pacsIdentityOf) };
    }
    this.deps.observer.resolved('no_link');
    const item = await this.noLinkItem(identity, options.demographics);
    if (!item) return { asked: identity, ehr: true, pacs: [], notRecorded: `this caller asked for more unlinked EHR identities than identity.maxNoLinkItemsPerCallerPerHour (${this.deps.config.maxNoLinkItemsPerCallerPerHour}) in the last hour` };
    return { asked: identity, ehr: true, pacs: [], reconciliationId: item.id, reconciliationStatus: item.status };
  }

  async screenStudies(resolution: IdentityResolution, studies: StudyRow[]): Promise<ScreenedStudies> {
    if (!resolution.ehr || !this.isEhr(resolution.asked)) return { kept: studies, held: 0 };
    const screened = await screenStudies(this.deps, resolution.asked, studies);
    this.deps.observer.held(screened.held, screened.excluded ?? 0);
    return screened;
  }

  /** Candidates, or none when the archive cannot be asked now (the item says so by having none; the next query searches again). */
  private async candidates(identity: Required<PatientIdentity>, demographics: Demographics | undefined, exclude: ReadonlySet<string>): Promise<Candidate[]> {
    try {
      return await findCandidates(this.deps.search, identity, demographics, exclude);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'identity: candidate search failed');
      return [];
    }
  }

  /**
   * The NO_LINK item to name: the open one (searching again if it has no
   * candidates yet); else a new one, unless the last decided item already
   * covered every candidate found now (a decision is not asked twice), or the
   * caller has opened its hourly bound of new items (undefined then).
   */
  private async noLinkItem(identity: Required<PatientIdentity>, demographics: Demographics | undefined): Promise<ReconciliationItem | undefined> {
    const { items } = this.deps;
    const latest = await items.latestNoLink(identity.id, identity.issuer);
    const rejected = new Set((await items.rejectedNoLink(identity.id, identity.issuer)).flatMap((i) => i.candidates.map(candidateKey)));
    if (latest?.status === 'open') {
      if (latest.candidates.length > 0) return latest;
      const found = await this.candidates(identity, demographics ?? latest.ehrDemographics, rejected);
      return found.length > 0 ? ((await items.updateCandidates(latest.id, found)) ?? latest) : latest;
    }
    const found = await this.candidates(identity, demographics, rejected);
    const seen = new Set(latest?.candidates.map(candidateKey) ?? []);
    if (latest && latest.status !== 'linked' && found.every((c) => seen.has(candidateKey(c)))) return latest;
    if (!this.deps.quota.take(this.deps.caller())) {
      this.deps.observer.itemRefused('NO_LINK');
      return undefined;
    }
    const opened = await items.open({ reason: 'NO_LINK', ehr: { id: identity.id, issuer: identity.issuer }, ...(demographics && { ehrDemographics: demographics }), candidates: found });
    if (opened.created) this.deps.observer.itemOpened('NO_LINK');
    return opened.item;
  }
}
