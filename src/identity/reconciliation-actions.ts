/**
 * The three decisions a person takes on an open reconciliation item, each
 * recorded with who and when:
 * - link {patientId, issuerOfPatientId?, note?}: the EHR identity is this
 *   archive identity: the link is created (or confirmed) and the item is
 *   "linked"; a held study is accepted when its patient is the one linked;
 * - reject {note?}: the candidates (NO_LINK) or the study (DEMOGRAPHICS_MISMATCH)
 *   are not this patient; remembered, so they are not raised again for the EHR
 *   identity and the study stays left out;
 * - resolve {note}: settled by a person; a held study is accepted for the link
 *   from then on.
 */
import { BadRequestError, NotFoundError } from '../http/errors.js';
import { ItemClosedError, InvalidFieldsError } from './errors.js';
import type { LinkRepository } from './link-repository.js';
import type { IdentityObserver } from './metrics.js';
import type { ReconciliationRepository } from './reconciliation-repository.js';
import type { FieldError, Link, ReconciliationActionName, ReconciliationDecision, ReconciliationItem } from './types.js';
import { checkIdentifier, type ValidationRules } from './validation.js';

export interface ActionDeps {
  links: LinkRepository;
  items: ReconciliationRepository;
  observer: IdentityObserver;
  rules: ValidationRules;
}

export interface ActionResult {
  item: ReconciliationItem;
  link?: Link;
}

const MAX_NOTE = 2000;
// eslint-disable-next-line no-control-regex -- control characters (but tab and line breaks) are refused
const NOTE_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function fieldsOf(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('RECONCILIATION_BAD_BODY', `The body must be a JSON object with ${allowed.join(', ')}.`, { parameter: 'body' });
  }
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new BadRequestError('RECONCILIATION_BAD_BODY', `Unknown field "${unknown.slice(0, 40)}"; use ${allowed.join(', ')}.`, { parameter: unknown.slice(0, 40) });
  return body as Record<string, unknown>;
}

function noteOf(raw: unknown, required: boolean): string | undefined {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (required) throw new BadRequestError('RECONCILIATION_NOTE_REQUIRED', 'note is required: say how the item was resolved.', { parameter: 'note' });
    return undefined;
  }
  if (typeof raw !== 'string' || raw.length > MAX_NOTE || NOTE_FORBIDDEN.test(raw)) {
    throw new BadRequestError('RECONCILIATION_BAD_NOTE', `note must be text of at most ${MAX_NOTE} characters without control characters.`, { parameter: 'note' });
  }
  return raw.trim();
}

function archiveIdentityOf(fields: Record<string, unknown>, rules: ValidationRules): { patientId: string; issuerOfPatientId: string } {
  const errors: FieldError[] = [];
  const patientId = checkIdentifier(fields.patientId, true);
  const issuer = checkIdentifier(fields.issuerOfPatientId, false);
  if ('error' in patientId) errors.push({ field: 'patientId', message: `patientId ${patientId.error}` });
  if ('error' in issuer) errors.push({ field: 'issuerOfPatientId', message: `issuerOfPatientId ${issuer.error}` });
  if ('value' in issuer && rules.ehrIssuers.includes(issuer.value)) errors.push({ field: 'issuerOfPatientId', message: `issuerOfPatientId "${issuer.value}" is an EHR issuer, not an archive one` });
  if (errors.length > 0 || !('value' in patientId) || !('value' in issuer)) throw new InvalidFieldsError('RECONCILIATION_BAD_LINK', 'The archive identity is not valid', errors);
  return { patientId: patientId.value, issuerOfPatientId: issuer.value };
}

export class ReconciliationActions {
  constructor(private readonly deps: ActionDeps) {}

  async openItem(id: string): Promise<ReconciliationItem> {
    const item = await this.deps.items.get(id);
    if (!item) throw new NotFoundError(`No reconciliation item ${id.slice(0, 64)}.`, 'RECONCILIATION_ITEM_NOT_FOUND');
    if (item.status !== 'open') throw new ItemClosedError(item.id, item.status);
    return item;
  }

  private async close(item: ReconciliationItem, status: 'linked' | 'rejected' | 'resolved', decision: ReconciliationDecision): Promise<ReconciliationItem> {
    const closed = await this.deps.items.decide(item.id, status, decision);
    if (!closed) throw new ItemClosedError(item.id, (await this.deps.items.get(item.id))?.status ?? 'closed');
    this.deps.observer.action(decision.action);
    return closed;
  }

  private decision(action: ReconciliationActionName, by: string, note: string | undefined): ReconciliationDecision {
    return { action, by, at: new Date().toISOString(), ...(note !== undefined && { note }) };
  }

  async link(id: string, body: unknown, by: string): Promise<ActionResult> {
    const fields = fieldsOf(body, ['patientId', 'issuerOfPatientId', 'note']);
    const target = archiveIdentityOf(fields, this.deps.rules);
    const note = noteOf(fields.note, false);
    const item = await this.openItem(id);
    const { link } = await this.deps.links.create(
      { ehrId: item.ehr.id, ehrIssuer: item.ehr.issuer, ...target, ...(item.ehrDemographics && { demographics: item.ehrDemographics }) },
      { createdBy: by, source: 'reconciliation' },
    );
    this.deps.observer.changed();
    const closed = await this.close(item, 'linked', { ...this.decision('link', by, note), linkId: link.id, linkedTo: target });
    return { item: closed, link };
  }

  async reject(id: string, body: unknown, by: string): Promise<ActionResult> {
    const note = noteOf(fieldsOf(body, ['note']).note, false);
    return { item: await this.close(await this.openItem(id), 'rejected', this.decision('reject', by, note)) };
  }

  async resolve(id: string, body: unknown, by: string): Promise<ActionResult> {
    const note = noteOf(fieldsOf(body, ['note']).note, true);
    return { item: await this.close(await this.openItem(id), 'resolved', this.decision('resolve', by, note)) };
  }
}
