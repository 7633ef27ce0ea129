/**
 * Storage of identity links. The interface is asynchronous so that a
 * PostgreSQL backend can follow; the SQLite implementation below is the only
 * code that touches the identity_links table.
 */
import { randomUUID } from 'node:crypto';
import type { StateDatabase } from '../state/database.js';
import type { Demographics, Link, LinkInput, LinkSource, Sex } from './types.js';

export interface LinkFilter {
  ehrId?: string;
  ehrIssuer?: string;
  patientId?: string;
  issuerOfPatientId?: string;
  limit: number;
  offset: number;
}

export interface LinkMeta {
  createdBy: string;
  source: LinkSource;
}

export interface LinkRepository {
  /** Creates the link, or returns the existing one for the same EHR and archive identities (created: false). */
  create(input: LinkInput, meta: LinkMeta): Promise<{ link: Link; created: boolean }>;
  /** Creates all links in one transaction; existing ones are counted, not changed. */
  importAll(inputs: readonly LinkInput[], meta: LinkMeta): Promise<{ created: number; existing: number }>;
  get(id: string): Promise<Link | undefined>;
  list(filter: LinkFilter): Promise<{ links: Link[]; total: number }>;
  /** Every archive identity linked to one EHR identity (several for merged records). */
  forEhr(ehrId: string, ehrIssuer: string): Promise<Link[]>;
  /** Deletes and returns the link; undefined when there is none. */
  delete(id: string): Promise<Link | undefined>;
  count(): Promise<number>;
}

interface LinkRow {
  id: string;
  ehr_id: string;
  ehr_issuer: string;
  pacs_id: string;
  pacs_issuer: string;
  name: string | null;
  birth_date: string | null;
  sex: string | null;
  created_at: string;
  created_by: string;
  source: string;
}

function linkOf(row: LinkRow): Link {
  const demographics: Demographics = {};
  if (row.name) demographics.name = row.name;
  if (row.birth_date) demographics.birthDate = row.birth_date;
  if (row.sex) demographics.sex = row.sex as Sex;
  return {
    id: row.id,
    ehr: { id: row.ehr_id, issuer: row.ehr_issuer },
    pacs: { patientId: row.pacs_id, issuer: row.pacs_issuer },
    ...(Object.keys(demographics).length > 0 && { demographics }),
    createdAt: row.created_at,
    createdBy: row.created_by,
    source: row.source as LinkSource,
  };
}

function whereOf(filter: Omit<LinkFilter, 'limit' | 'offset'>): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  add('ehr_id', filter.ehrId);
  add('ehr_issuer', filter.ehrIssuer);
  add('pacs_id', filter.patientId);
  add('pacs_issuer', filter.issuerOfPatientId);
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export class SqliteLinkRepository implements LinkRepository {
  private readonly insert;
  private readonly byKey;
  private readonly byId;

  constructor(private readonly state: StateDatabase) {
    const db = state.sqlite;
    this.insert = db.prepare(`INSERT OR IGNORE INTO identity_links
      (id, ehr_id, ehr_issuer, pacs_id, pacs_issuer, name, birth_date, sex, created_at, created_by, source)
      VALUES (@id, @ehrId, @ehrIssuer, @patientId, @issuerOfPatientId, @name, @birthDate, @sex, @createdAt, @createdBy, @source)`);
    this.byKey = db.prepare('SELECT * FROM identity_links WHERE ehr_id = ? AND ehr_issuer = ? AND pacs_id = ? AND pacs_issuer = ?');
    this.byId = db.prepare('SELECT * FROM identity_links WHERE id = ?');
  }

  private insertOne(input: LinkInput, meta: LinkMeta): boolean {
    const result = this.insert.run({
      id: randomUUID(),
      ehrId: input.ehrId,
      ehrIssuer: input.ehrIssuer,
      patientId: input.patientId,
      issuerOfPatientId: input.issuerOfPatientId,
      name: input.demographics?.name ?? null,
      birthDate: input.demographics?.birthDate ?? null,
      sex: input.demographics?.sex ?? null,
      createdAt: new Date().toISOString(),
      createdBy: meta.createdBy,
      source: meta.source,
    });
    return result.changes > 0;
  }

  async create(input: LinkInput, meta: LinkMeta): Promise<{ link: Link; created: boolean }> {
    const created = this.insertOne(input, meta);
    const row = this.byKey.get(input.ehrId, input.ehrIssuer, input.patientId, input.issuerOfPatientId) as LinkRow;
    return { link: linkOf(row), created };
  }

  async importAll(inputs: readonly LinkInput[], meta: LinkMeta): Promise<{ created: number; existing: number }> {
    return this.state.transaction(() => {
      let created = 0;
      for (const input of inputs) if (this.insertOne(input, meta)) created++;
      return { created, existing: inputs.length - created };
    });
  }

  async get(id: string): Promise<Link | undefined> {
    const row = this.byId.get(id) as LinkRow | undefined;
    return row && linkOf(row);
  }

  async list(filter: LinkFilter): Promise<{ links: Link[]; total: number }> {
    const where = whereOf(filter);
    const db = this.state.sqlite;
    const total = (db.prepare(`SELECT COUNT(*) AS n FROM identity_links ${where.sql}`).get(...where.params) as { n: number }).n;
    const rows = db.prepare(`SELECT * FROM identity_links ${where.sql} ORDER BY created_at, rowid LIMIT ? OFFSET ?`).all(...where.params, filter.limit, filter.offset) as LinkRow[];
    return { links: rows.map(linkOf), total };
  }

  async forEhr(ehrId: string, ehrIssuer: string): Promise<Link[]> {
    const rows = this.state.sqlite.prepare('SELECT * FROM identity_links WHERE ehr_id = ? AND ehr_issuer = ? ORDER BY created_at, rowid').all(ehrId, ehrIssuer) as LinkRow[];
    return rows.map(linkOf);
  }

  async delete(id: string): Promise<Link | undefined> {
    return this.state.transaction(() => {
      const row = this.byId.get(id) as LinkRow | undefined;
      if (!row) return undefined;
      this.state.sqlite.prepare('DELETE FROM identity_links WHERE id = ?').run(id);
      return linkOf(row);
    });
  }

  async count(): Promise<number> {
    return (this.state.sqlite.prepare('SELECT COUNT(*) AS n FROM identity_links').get() as { n: number }).n;
  }
}
