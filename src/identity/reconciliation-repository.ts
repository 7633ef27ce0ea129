/**
 * Storage of reconciliation items (asynchronous interface; the SQLite
 * implementation is the only code touching identity_reconciliation).
 * Unique indexes make opening an item idempotent under concurrent requests:
 * one open item per question, one mismatch item per EHR identity and study.
 */
import { randomUUID } from 'node:crypto';
import type { StateDatabase } from '../state/database.js';
import type {
  Candidate, Demographics, ReconciliationDecision, ReconciliationItem, ReconciliationReason, ReconciliationStatus, StudySummary,
} from './types.js';

/** What opening an item takes: the item without its id, status, timestamps and decision. */
export type NewItem = Pick<ReconciliationItem, 'reason' | 'ehr' | 'ehrDemographics' | 'study' | 'linkId' | 'score' | 'candidates'>;

export interface ItemFilter {
  status?: ReconciliationStatus;
  reason?: ReconciliationReason;
  ehrId?: string;
  ehrIssuer?: string;
  limit: number;
  offset: number;
}

export interface ItemCount {
  status: ReconciliationStatus;
  reason: ReconciliationReason;
  count: number;
}

export interface ReconciliationRepository {
  /** Opens the item, or returns the one already there for the same question (created: false). */
  open(item: NewItem): Promise<{ item: ReconciliationItem; created: boolean }>;
  get(id: string): Promise<ReconciliationItem | undefined>;
  list(filter: ItemFilter): Promise<{ items: ReconciliationItem[]; total: number }>;
  /** The most recent NO_LINK item of an EHR identity, whatever its status. */
  latestNoLink(ehrId: string, ehrIssuer: string): Promise<ReconciliationItem | undefined>;
  /** Every NO_LINK item of an EHR identity decided "reject" (their candidates are not this patient). */
  rejectedNoLink(ehrId: string, ehrIssuer: string): Promise<ReconciliationItem[]>;
  /** DEMOGRAPHICS_MISMATCH items of an EHR identity for these studies, by Study Instance UID. */
  forStudies(ehrId: string, ehrIssuer: string, studyUids: readonly string[]): Promise<Map<string, ReconciliationItem>>;
  /** Replaces the candidates of an open item (a search that failed earlier succeeded). */
  updateCandidates(id: string, candidates: readonly Candidate[]): Promise<ReconciliationItem | undefined>;
  /** Closes an open item with a decision; undefined when it is not open (any more). */
  decide(id: string, status: Exclude<ReconciliationStatus, 'open'>, decision: ReconciliationDecision): Promise<ReconciliationItem | undefined>;
  counts(): Promise<ItemCount[]>;
}

interface ItemRow {
  id: string;
  reason: string;
  status: string;
  ehr_id: string;
  ehr_issuer: string;
  study_uid: string;
  ehr_demographics: string | null;
  study: string | null;
  link_id: string | null;
  score: number | null;
  candidates: string;
  decision: string | null;
  created_at: string;
  updated_at: string;
}

function itemOf(row: ItemRow): ReconciliationItem {
  return {
    id: row.id,
    reason: row.reason as ReconciliationReason,
    status: row.status as ReconciliationStatus,
    ehr: { id: row.ehr_id, issuer: row.ehr_issuer },
    ...(row.ehr_demographics && { ehrDemographics: JSON.parse(row.ehr_demographics) as Demographics }),
    ...(row.study && { study: JSON.parse(row.study) as StudySummary }),
    ...(row.link_id && { linkId: row.link_id }),
    ...(row.score !== null && { score: row.score }),
    candidates: JSON.parse(row.candidates) as Candidate[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.decision && { decision: JSON.parse(row.decision) as ReconciliationDecision }),
  };
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export class SqliteReconciliationRepository implements ReconciliationRepository {
  constructor(private readonly state: StateDatabase) {}

  private get db() {
    return this.state.sqlite;
  }

  private findOpenOrStudy(item: NewItem): ItemRow | undefined {
    const studyUid = item.study?.studyInstanceUid ?? '';
    if (item.reason === 'DEMOGRAPHICS_MISMATCH') {
      return this.db.prepare("SELECT * FROM identity_reconciliation WHERE reason = 'DEMOGRAPHICS_MISMATCH' AND ehr_id = ? AND ehr_issuer = ? AND study_uid = ?").get(item.ehr.id, item.ehr.issuer, studyUid) as ItemRow | undefined;
    }
    return this.db.prepare("SELECT * FROM identity_reconciliation WHERE reason = ? AND ehr_id = ? AND ehr_issuer = ? AND study_uid = ? AND status = 'open'").get(item.reason, item.ehr.id, item.ehr.issuer, studyUid) as ItemRow | undefined;
  }

  async open(item: NewItem): Promise<{ item: ReconciliationItem; created: boolean }> {
    const now = new Date().toISOString();
    const result = this.db.prepare(`INSERT OR IGNORE INTO identity_reconciliation
      (id, reason, status, ehr_id, ehr_issuer, study_uid, ehr_demographics, study, link_id, score, candidates, decision, created_at, updated_at)
      VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`).run(
      randomUUID(), item.reason, item.ehr.id, item.ehr.issuer, item.study?.studyInstanceUid ?? '', json(item.ehrDemographics), json(item.study),
      item.linkId ?? null, item.score ?? null, JSON.stringify(item.candidates), now, now,
    );
    return { item: itemOf(this.findOpenOrStudy(item)!), created: result.changes > 0 };
  }

  async get(id: string): Promise<ReconciliationItem | undefined> {
    const row = this.db.prepare('SELECT * FROM identity_reconciliation WHERE id = ?').get(id) as ItemRow | undefined;
    return row && itemOf(row);
  }

  async list(filter: ItemFilter): Promise<{ items: ReconciliationItem[]; total: number }> {
    const clauses: string[] = [];
    const params: string[] = [];
    for (const [column, value] of [['status', filter.status], ['reason', filter.reason], ['ehr_id', filter.ehrId], ['ehr_issuer', filter.ehrIssuer]] as const) {
      if (value === undefined) continue;
      clauses.push(`${column} = ?`);
      params.push(value);
    }
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM identity_reconciliation ${where}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM identity_reconciliation ${where} ORDER BY created_at, rowid LIMIT ? OFFSET ?`).all(...params, filter.limit, filter.offset) as ItemRow[];
    return { items: rows.map(itemOf), total };
  }

  async latestNoLink(ehrId: string, ehrIssuer: string): Promise<ReconciliationItem | undefined> {
    const row = this.db.prepare("SELECT * FROM identity_reconciliation WHERE reason = 'NO_LINK' AND ehr_id = ? AND ehr_issuer = ? ORDER BY created_at DESC, rowid DESC LIMIT 1").get(ehrId, ehrIssuer) as ItemRow | undefined;
    return row && itemOf(row);
  }

  async rejectedNoLink(ehrId: string, ehrIssuer: string): Promise<ReconciliationItem[]> {
    const rows = this.db.prepare("SELECT * FROM identity_reconciliation WHERE reason = 'NO_LINK' AND status = 'rejected' AND ehr_id = ? AND ehr_issuer = ?").all(ehrId, ehrIssuer) as ItemRow[];
    return rows.map(itemOf);
  }

  async forStudies(ehrId: string, ehrIssuer: string, studyUids: readonly string[]): Promise<Map<string, ReconciliationItem>> {
    const out = new Map<string, ReconciliationItem>();
    const select = this.db.prepare("SELECT * FROM identity_reconciliation WHERE reason = 'DEMOGRAPHICS_MISMATCH' AND ehr_id = ? AND ehr_issuer = ? AND study_uid = ?");
    for (const uid of new Set(studyUids)) {
      const row = select.get(ehrId, ehrIssuer, uid) as ItemRow | undefined;
      if (row) out.set(uid, itemOf(row));
    }
    return out;
  }

  async updateCandidates(id: string, candidates: readonly Candidate[]): Promise<ReconciliationItem | undefined> {
    this.db.prepare("UPDATE identity_reconciliation SET candidates = ?, updated_at = ? WHERE id = ? AND status = 'open'").run(JSON.stringify(candidates), new Date().toISOString(), id);
    return this.get(id);
  }

  async decide(id: string, status: Exclude<ReconciliationStatus, 'open'>, decision: ReconciliationDecision): Promise<ReconciliationItem | undefined> {
    const result = this.db.prepare("UPDATE identity_reconciliation SET status = ?, decision = ?, updated_at = ? WHERE id = ? AND status = 'open'").run(status, JSON.stringify(decision), decision.at, id);
    return result.changes > 0 ? this.get(id) : undefined;
  }

  async counts(): Promise<ItemCount[]> {
    return this.db.prepare('SELECT status, reason, COUNT(*) AS count FROM identity_reconciliation GROUP BY status, reason').all() as ItemCount[];
  }
}
