/**
 * What the identity layer counts, for Prometheus (services.metrics.registry)
 * and the /status summary (services.statusSources.identity):
 * - gateway_identity_links: links stored (read at scrape time);
 * - gateway_identity_reconciliation_items{status,reason}: items stored (read at scrape time);
 * - gateway_identity_studies_held_total: studies held back from answers for reconciliation;
 * - gateway_identity_studies_excluded_total: studies left out because a person rejected them;
 * - gateway_identity_resolutions_total{outcome}: EHR identities resolved (linked, no_link);
 * - gateway_identity_reconciliation_opened_total{reason}, …_actions_total{action}.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LinkRepository } from './link-repository.js';
import type { ReconciliationRepository } from './reconciliation-repository.js';
import { RECONCILIATION_REASONS, RECONCILIATION_STATUSES, type ReconciliationActionName, type ReconciliationReason } from './types.js';

/** Told by the resolver and the routes what happened. */
export interface IdentityObserver {
  resolved(outcome: 'linked' | 'no_link'): void;
  itemOpened(reason: ReconciliationReason): void;
  /** An item was not opened: the caller reached its hourly bound. */
  itemRefused(reason: ReconciliationReason): void;
  held(studies: number, excluded: number): void;
  action(action: ReconciliationActionName): void;
  /** Links or items changed: the /status summary is refreshed. */
  changed(): void;
}

export interface IdentityStatus {
  links: number;
  reconciliation: Record<string, Record<string, number>>;
  studiesHeldSinceStart: number;
  studiesExcludedSinceStart: number;
}

export class IdentityMetrics implements IdentityObserver {
  private readonly heldTotal;
  private readonly excludedTotal;
  private readonly resolutions;
  private readonly opened;
  private readonly refused;
  private readonly actions;
  private summary: IdentityStatus = { links: 0, reconciliation: {}, studiesHeldSinceStart: 0, studiesExcludedSinceStart: 0 };

  constructor(registry: Registry, private readonly links: LinkRepository, private readonly items: ReconciliationRepository) {
    const registers = [registry];
    new Gauge({ name: 'gateway_identity_links', help: 'Identity links (EHR identity to archive identity) stored', registers, collect: async function (this: Gauge) { this.set(await links.count()); } });
    const collectItems = (gauge: Gauge<'status' | 'reason'>) => this.collectItems(gauge);
    new Gauge({ name: 'gateway_identity_reconciliation_items', help: 'Reconciliation items stored, by status and reason', labelNames: ['status', 'reason'] as const, registers, collect: async function (this: Gauge<'status' | 'reason'>) { await collectItems(this); } });
    this.heldTotal = new Counter({ name: 'gateway_identity_studies_held_total', help: 'Studies held back from answers because they await reconciliation', registers });
    this.excludedTotal = new Counter({ name: 'gateway_identity_studies_excluded_total', help: 'Studies left out of answers because a person rejected them for the EHR identity', registers });
    this.resolutions = new Counter({ name: 'gateway_identity_resolutions_total', help: 'EHR identities resolved, by outcome', labelNames: ['outcome'] as const, registers });
    this.opened = new Counter({ name: 'gateway_identity_reconciliation_opened_total', help: 'Reconciliation items opened, by reason', labelNames: ['reason'] as const, registers });
    this.refused = new Counter({ name: 'gateway_identity_reconciliation_refused_total', help: 'Reconciliation items not opened because the caller reached identity.maxNoLinkItemsPerCallerPerHour, by reason', labelNames: ['reason'] as const, registers });
    this.actions = new Counter({ name: 'gateway_identity_reconciliation_actions_total', help: 'Reconciliation decisions, by action', labelNames: ['action'] as const, registers });
    this.changed();
  }

  private async collectItems(gauge: Gauge<'status' | 'reason'>): Promise<void> {
    for (const status of RECONCILIATION_STATUSES) for (const reason of RECONCILIATION_REASONS) gauge.set({ status, reason }, 0);
    for (const c of await this.items.counts()) gauge.set({ status: c.status, reason: c.reason }, c.count);
  }

  resolved(outcome: 'linked' | 'no_link'): void {
    this.resolutions.inc({ outcome });
  }

  itemOpened(reason: ReconciliationReason): void {
    this.opened.inc({ reason });
    this.changed();
  }

  itemRefused(reason: ReconciliationReason): void {
    this.refused.inc({ reason });
  }

  held(studies: number, excluded: number): void {
    if (studies > 0) this.heldTotal.inc(studies);
    if (excluded > 0) this.excludedTotal.inc(excluded);
    this.summary.studiesHeldSinceStart += studies;
    this.summary.studiesExcludedSinceStart += excluded;
  }

  action(action: ReconciliationActionName): void {
    this.actions.inc({ action });
    this.changed();
  }

  changed(): void {
    void this.refresh().catch(() => undefined); // the database closes with the gateway; a late refresh has nothing to report
  }

  private async refresh(): Promise<void> {
    const reconciliation: IdentityStatus['reconciliation'] = {};
    for (const status of RECONCILIATION_STATUSES) reconciliation[status] = {};
    for (const c of await this.items.counts()) reconciliation[c.status]![c.reason] = c.count;
    this.summary = { ...this.summary, links: await this.links.count(), reconciliation };
  }

  /** The /status summary (statusSources are read synchronously: the last refreshed figures). */
  status(): IdentityStatus {
    return this.summary;
  }
}
