/**
 * The edge cache index as an async repository: which instance files and study
 * metadata files the edge holds, their checksums, and when each study was last
 * used (for least-recently-used eviction). All SQL of the edge lives here; the
 * SQLite implementation runs on the gateway's state database (tables `edge_*`),
 * and a PostgreSQL one can implement the same interface.
 */
import type { Statement } from 'better-sqlite3';
import type { StateDatabase } from '../state/database.js';
import type { Migration } from '../state/migrations.js';
import type { InstanceUids } from './types.js';

export interface EdgeInstanceRow extends InstanceUids {
  /** File name relative to the edge folder. */
  file: string;
  size: number;
  sha256: string;
  transferSyntax: string;
  sopClass: string;
  storedAt: string;
}

export interface EdgeFileRef {
  file: string;
  size: number;
  sha256: string;
}

export interface EdgeStudyRow {
  study: string;
  complete: boolean;
  metadata?: EdgeFileRef;
  instances: number;
  /** Instance files plus the metadata file. */
  bytes: number;
  /** Monotonic access stamp (milliseconds, strictly increasing): the eviction order. */
  lastAccess: number;
  updatedAt: string;
}

export interface EdgeTotals {
  studies: number;
  instances: number;
  bytes: number;
  /** Highest access stamp written so far (stamps stay increasing across restarts). */
  lastAccess: number;
}

export interface DeletedStudy {
  files: string[];
  bytes: number;
  instances: number;
}

/** What an insert replaced, and whether it created the study's row. */
export interface Stored<T> {
  replaced?: T;
  newStudy: boolean;
}

export interface IndexedFile {
  study: string;
  file: string;
  /** Absent for the study's metadata file. */
  instance?: InstanceUids;
}

export interface EdgeRepository {
  totals(): Promise<EdgeTotals>;
  /** Every file the index names, to check at start that they still exist. */
  allFiles(): Promise<IndexedFile[]>;
  findInstance(uids: InstanceUids): Promise<EdgeInstanceRow | undefined>;
  /** Inserts (or replaces) an instance row and touches its study. */
  insertInstance(row: EdgeInstanceRow, access: number): Promise<Stored<EdgeInstanceRow>>;
  deleteInstance(uids: InstanceUids): Promise<EdgeInstanceRow | undefined>;
  listInstances(study: string, series?: string): Promise<EdgeInstanceRow[]>;
  findStudy(study: string): Promise<EdgeStudyRow | undefined>;
  /** Stores the study's metadata file and the instances it lists; completeness is kept only if the checksum is unchanged. */
  putMetadata(study: string, metadata: EdgeFileRef, expected: InstanceUids[], access: number): Promise<Stored<EdgeFileRef>>;
  /** Drops metadata, listed instances and completeness; returns the dropped metadata file. */
  dropMetadata(study: string): Promise<EdgeFileRef | undefined>;
  markComplete(study: string): Promise<void>;
  /** Instances the stored metadata lists, in its order (optionally of one series). */
  expected(study: string, series?: string): Promise<InstanceUids[]>;
  /** Listed instances that have no file (yet). */
  missing(study: string, series?: string): Promise<InstanceUids[]>;
  isExpected(uids: InstanceUids): Promise<boolean>;
  touch(study: string, access: number): Promise<void>;
  /** Studies from least to most recently used. */
  leastRecentlyUsed(limit: number): Promise<Array<{ study: string; bytes: number }>>;
  deleteStudy(study: string): Promise<DeletedStudy | undefined>;
}

export const EDGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'edge cache index: studies, instance files, instances listed by stored metadata',
    sql: `
      CREATE TABLE edge_studies (
        study TEXT PRIMARY KEY,
        complete INTEGER NOT NULL DEFAULT 0,
        metadata_file TEXT, metadata_size INTEGER, metadata_sha256 TEXT,
        instances INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        last_access INTEGER NOT NULL,
        updated_at TEXT NOT NULL);
      CREATE INDEX edge_studies_lru ON edge_studies (last_access);
      CREATE TABLE edge_instances (
        study TEXT NOT NULL REFERENCES edge_studies (study) ON DELETE CASCADE,
        series TEXT NOT NULL, instance TEXT NOT NULL,
        file TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        transfer_syntax TEXT NOT NULL, sop_class TEXT NOT NULL, stored_at TEXT NOT NULL,
        PRIMARY KEY (study, series, instance));
      CREATE TABLE edge_expected (
        study TEXT NOT NULL REFERENCES edge_studies (study) ON DELETE CASCADE,
        series TEXT NOT NULL, instance TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (study, series, instance));`,
  },
];

interface InstanceRecord {
  study: string; series: string; instance: string; file: string; size: number; sha256: string;
  transfer_syntax: string; sop_class: string; stored_at: string;
}

interface StudyRecord {
  study: string; complete: number; metadata_file: string | null; metadata_size: number | null; metadata_sha256: string | null;
  instances: number; bytes: number; last_access: number; updated_at: string;
}

function toInstanceRow(r: InstanceRecord): EdgeInstanceRow {
  return {
    study: r.study, series: r.series, instance: r.instance, file: r.file, size: r.size, sha256: r.sha256,
    transferSyntax: r.transfer_syntax, sopClass: r.sop_class, storedAt: r.stored_at,
  };
}

function toStudyRow(r: StudyRecord): EdgeStudyRow {
  const metadata = r.metadata_file ? { file: r.metadata_file, size: r.metadata_size ?? 0, sha256: r.metadata_sha256 ?? '' } : undefined;
  return { study: r.study, complete: r.complete === 1, metadata, instances: r.instances, bytes: r.bytes, lastAccess: r.last_access, updatedAt: r.updated_at };
}

const KEY = 'study = ? AND series = ? AND instance = ?';
const keyOf = (u: InstanceUids) => [u.study, u.series, u.instance] as const;
const now = () => new Date().toISOString();
const ABSENT = 'NOT EXISTS (SELECT 1 FROM edge_instances i WHERE i.study = e.study AND i.series = e.series AND i.instance = e.instance)';

export class SqliteEdgeRepository implements EdgeRepository {
  constructor(private readonly state: StateDatabase) {
    state.migrate('edge', EDGE_MIGRATIONS);
  }

  /** Prepared once per SQL text: preparing cost more than running these small statements. */
  private readonly statements = new Map<string, Statement>();

  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.state.sqlite.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async totals(): Promise<EdgeTotals> {
    return this.sql(`SELECT COUNT(*) AS studies, COALESCE(SUM(instances), 0) AS instances, COALESCE(SUM(bytes), 0) AS bytes,
      COALESCE(MAX(last_access), 0) AS lastAccess FROM edge_studies`).get() as EdgeTotals;
  }

  async allFiles(): Promise<IndexedFile[]> {
    const instances = this.sql('SELECT study, series, instance, file FROM edge_instances').all() as InstanceRecord[];
    const metadata = this.sql('SELECT study, metadata_file AS file FROM edge_studies WHERE metadata_file IS NOT NULL').all() as IndexedFile[];
    return [...instances.map((r) => ({ study: r.study, file: r.file, instance: { study: r.study, series: r.series, instance: r.instance } })), ...metadata];
  }

  async findInstance(uids: InstanceUids): Promise<EdgeInstanceRow | undefined> {
    const r = this.sql(`SELECT * FROM edge_instances WHERE ${KEY}`).get(...keyOf(uids)) as InstanceRecord | undefined;
    return r && toInstanceRow(r);
  }

  async insertInstance(row: EdgeInstanceRow, access: number): Promise<Stored<EdgeInstanceRow>> {
    return this.state.transaction(() => {
      const newStudy = this.ensureStudy(row.study, access);
      const replaced = this.deleteInstanceSync(row);
      this.sql(`INSERT INTO edge_instances (study, series, instance, file, size, sha256, transfer_syntax, sop_class, stored_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...keyOf(row), row.file, row.size, row.sha256, row.transferSyntax, row.sopClass, row.storedAt);
      this.sql('UPDATE edge_studies SET instances = instances + 1, bytes = bytes + ?, last_access = ?, updated_at = ? WHERE study = ?')
        .run(row.size, access, now(), row.study);
      return { replaced, newStudy };
    });
  }

  async deleteInstance(uids: InstanceUids): Promise<EdgeInstanceRow | undefined> {
    return this.state.transaction(() => this.deleteInstanceSync(uids));
  }

  private deleteInstanceSync(uids: InstanceUids): EdgeInstanceRow | undefined {
    const r = this.sql(`DELETE FROM edge_instances WHERE ${KEY} RETURNING *`).get(...keyOf(uids)) as InstanceRecord | undefined;
    if (!r) return undefined;
    this.sql('UPDATE edge_studies SET instances = instances - 1, bytes = bytes - ? WHERE study = ?').run(r.size, r.study);
    return toInstanceRow(r);
  }

  private ensureStudy(study: string, access: number): boolean {
    return this.sql('INSERT INTO edge_studies (study, last_access, updated_at) VALUES (?, ?, ?) ON CONFLICT (study) DO NOTHING').run(study, access, now()).changes > 0;
  }

  async listInstances(study: string, series?: string): Promise<EdgeInstanceRow[]> {
    const rows = series === undefined
      ? this.sql('SELECT * FROM edge_instances WHERE study = ? ORDER BY series, stored_at, instance').all(study)
      : this.sql('SELECT * FROM edge_instances WHERE study = ? AND series = ? ORDER BY stored_at, instance').all(study, series);
    return (rows as InstanceRecord[]).map(toInstanceRow);
  }

  async findStudy(study: string): Promise<EdgeStudyRow | undefined> {
    const r = this.sql('SELECT * FROM edge_studies WHERE study = ?').get(study) as StudyRecord | undefined;
    return r && toStudyRow(r);
  }

  async putMetadata(study: string, metadata: EdgeFileRef, expected: InstanceUids[], access: number): Promise<Stored<EdgeFileRef>> {
    return this.state.transaction(() => {
      const newStudy = this.ensureStudy(study, access);
      const replaced = this.dropMetadataSync(study, metadata.sha256);
      this.sql(`UPDATE edge_studies SET metadata_file = ?, metadata_size = ?, metadata_sha256 = ?, bytes = bytes + ?, last_access = ?, updated_at = ?
        WHERE study = ?`).run(metadata.file, metadata.size, metadata.sha256, metadata.size, access, now(), study);
      const insert = this.sql('INSERT OR IGNORE INTO edge_expected (study, series, instance, position) VALUES (?, ?, ?, ?)');
      expected.forEach((u, i) => insert.run(study, u.series, u.instance, i));
      return { replaced, newStudy };
    });
  }

  async dropMetadata(study: string): Promise<EdgeFileRef | undefined> {
    return this.state.transaction(() => this.dropMetadataSync(study));
  }

  /** Completeness survives only a replacement by identical metadata (same checksum). */
  private dropMetadataSync(study: string, keepCompleteFor?: string): EdgeFileRef | undefined {
    const row = this.sql('SELECT * FROM edge_studies WHERE study = ?').get(study) as StudyRecord | undefined;
    if (!row) return undefined;
    const previous = toStudyRow(row).metadata;
    const complete = previous !== undefined && previous.sha256 === keepCompleteFor && row.complete === 1 ? 1 : 0;
    this.sql(`UPDATE edge_studies SET metadata_file = NULL, metadata_size = NULL, metadata_sha256 = NULL, complete = ?, bytes = bytes - ?
      WHERE study = ?`).run(complete, previous?.size ?? 0, study);
    this.sql('DELETE FROM edge_expected WHERE study = ?').run(study);
    return previous;
  }

  async markComplete(study: string): Promise<void> {
    this.sql('UPDATE edge_studies SET complete = 1, updated_at = ? WHERE study = ?').run(now(), study);
  }

  async expected(study: string, series?: string): Promise<InstanceUids[]> {
    const rows = series === undefined
      ? this.sql('SELECT study, series, instance FROM edge_expected WHERE study = ? ORDER BY position').all(study)
      : this.sql('SELECT study, series, instance FROM edge_expected WHERE study = ? AND series = ? ORDER BY position').all(study, series);
    return rows as InstanceUids[];
  }

  async missing(study: string, series?: string): Promise<InstanceUids[]> {
    const rows = series === undefined
      ? this.sql(`SELECT study, series, instance FROM edge_expected e WHERE study = ? AND ${ABSENT} ORDER BY position`).all(study)
      : this.sql(`SELECT study, series, instance FROM edge_expected e WHERE study = ? AND series = ? AND ${ABSENT} ORDER BY position`).all(study, series);
    return rows as InstanceUids[];
  }

  async isExpected(uids: InstanceUids): Promise<boolean> {
    return this.sql(`SELECT 1 FROM edge_expected WHERE ${KEY}`).get(...keyOf(uids)) !== undefined;
  }

  async touch(study: string, access: number): Promise<void> {
    this.sql('UPDATE edge_studies SET last_access = ? WHERE study = ?').run(access, study);
  }

  async leastRecentlyUsed(limit: number): Promise<Array<{ study: string; bytes: number }>> {
    return this.sql('SELECT study, bytes FROM edge_studies ORDER BY last_access, study LIMIT ?').all(limit) as Array<{ study: string; bytes: number }>;
  }

  async deleteStudy(study: string): Promise<DeletedStudy | undefined> {
    return this.state.transaction(() => {
      // Named before the delete: ON DELETE CASCADE removes the instance rows with the study.
      const files = (this.sql('SELECT file FROM edge_instances WHERE study = ?').all(study) as Array<{ file: string }>).map((r) => r.file);
      const row = this.sql('DELETE FROM edge_studies WHERE study = ? RETURNING *').get(study) as StudyRecord | undefined;
      if (!row) return undefined;
      if (row.metadata_file) files.push(row.metadata_file);
      return { files, bytes: row.bytes, instances: row.instances };
    });
  }
}
