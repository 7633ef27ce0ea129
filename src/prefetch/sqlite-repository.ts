/**
 * PrefetchRepository on the gateway's SQLite state database (better-sqlite3,
 * synchronous under an async interface). Tables are the prefetch module's own:
 * prefetch_jobs and prefetch_job_studies (deleted with their job).
 */
import type { StateDatabase } from '../state/database.js';
import type { Migration } from '../state/migrations.js';
import type { JobListFilter, PrefetchRepository } from './repository.js';
import { FINISHED_STATUSES, JOB_STATUSES, type JobStatus, type JobStudy, type PrefetchJob } from './types.js';

export const PREFETCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'prefetch jobs and their studies',
    sql: `
      CREATE TABLE prefetch_jobs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        patient TEXT NOT NULL,
        pacs_identities TEXT NOT NULL,
        reconciliation_id TEXT,
        criteria TEXT NOT NULL,
        counts TEXT NOT NULL,
        message TEXT NOT NULL,
        error TEXT,
        warnings TEXT NOT NULL,
        created_by TEXT NOT NULL,
        restriction TEXT,
        base_url TEXT NOT NULL,
        studies_listed INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX prefetch_jobs_status ON prefetch_jobs (status, created_at);
      CREATE INDEX prefetch_jobs_created ON prefetch_jobs (created_at);
      CREATE TABLE prefetch_job_studies (
        job_id TEXT NOT NULL REFERENCES prefetch_jobs (id) ON DELETE CASCADE,
        study_uid TEXT NOT NULL,
        position INTEGER NOT NULL,
        study_date TEXT,
        description TEXT,
        modalities TEXT NOT NULL,
        status TEXT NOT NULL,
        series INTEGER NOT NULL,
        instances INTEGER NOT NULL,
        instances_done INTEGER NOT NULL,
        instances_reused INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        error TEXT,
        started_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (job_id, study_uid)
      );`,
  },
];

interface JobRow {
  id: string; status: string; patient: string; pacs_identities: string; reconciliation_id: string | null; criteria: string;
  counts: string; message: string; error: string | null; warnings: string; created_by: string; restriction: string | null;
  base_url: string; studies_listed: number; created_at: string; started_at: string | null; finished_at: string | null; updated_at: string;
}

interface StudyRow {
  study_uid: string; position: number; study_date: string | null; description: string | null; modalities: string; status: string;
  series: number; instances: number; instances_done: number; instances_reused: number; bytes: number; error: string | null;
  started_at: string | null; finished_at: string | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Leaves out absent optional fields, so a job reads back as it was written. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function jobFromRow(r: JobRow): PrefetchJob {
  return compact({
    id: r.id, status: r.status as JobStatus, patient: JSON.parse(r.patient), pacsIdentities: JSON.parse(r.pacs_identities),
    reconciliationId: opt(r.reconciliation_id), criteria: JSON.parse(r.criteria), counts: JSON.parse(r.counts), message: r.message,
    error: r.error === null ? undefined : JSON.parse(r.error), warnings: JSON.parse(r.warnings), createdBy: r.created_by,
    restriction: r.restriction === null ? undefined : JSON.parse(r.restriction), baseUrl: r.base_url, studiesListed: r.studies_listed === 1,
    createdAt: r.created_at, startedAt: opt(r.started_at), finishedAt: opt(r.finished_at), updatedAt: r.updated_at,
  });
}

function jobParams(j: PrefetchJob): Record<string, unknown> {
  return {
    id: j.id, status: j.status, patient: JSON.stringify(j.patient), pacs_identities: JSON.stringify(j.pacsIdentities),
    reconciliation_id: j.reconciliationId ?? null, criteria: JSON.stringify(j.criteria), counts: JSON.stringify(j.counts), message: j.message,
    error: j.error ? JSON.stringify(j.error) : null, warnings: JSON.stringify(j.warnings), created_by: j.createdBy,
    restriction: j.restriction ? JSON.stringify(j.restriction) : null, base_url: j.baseUrl, studies_listed: j.studiesListed ? 1 : 0,
    created_at: j.createdAt, started_at: j.startedAt ?? null, finished_at: j.finishedAt ?? null, updated_at: j.updatedAt,
  };
}

function studyFromRow(r: StudyRow): JobStudy {
  return compact({
    studyUid: r.study_uid, position: r.position, studyDate: opt(r.study_date), description: opt(r.description), modalities: JSON.parse(r.modalities),
    status: r.status as JobStudy['status'], series: r.series, instances: r.instances, instancesDone: r.instances_done,
    instancesReused: r.instances_reused, bytes: r.bytes, error: opt(r.error), startedAt: opt(r.started_at), finishedAt: opt(r.finished_at),
  });
}

function studyParams(jobId: string, s: JobStudy): Record<string, unknown> {
  return {
    job_id: jobId, study_uid: s.studyUid, position: s.position, study_date: s.studyDate ?? null, description: s.description ?? null,
    modalities: JSON.stringify(s.modalities), status: s.status, series: s.series, instances: s.instances, instances_done: s.instancesDone,
    instances_reused: s.instancesReused, bytes: s.bytes, error: s.error ?? null, started_at: s.startedAt ?? null, finished_at: s.finishedAt ?? null,
  };
}

const JOB_COLUMNS = ['id', 'status', 'patient', 'pacs_identities', 'reconciliation_id', 'criteria', 'counts', 'message', 'error', 'warnings',
  'created_by', 'restriction', 'base_url', 'studies_listed', 'created_at', 'started_at', 'finished_at', 'updated_at'];
const STUDY_COLUMNS = ['job_id', 'study_uid', 'position', 'study_date', 'description', 'modalities', 'status', 'series', 'instances',
  'instances_done', 'instances_reused', 'bytes', 'error', 'started_at', 'finished_at'];
const upsert = (table: string, columns: string[]) => `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;

export class SqlitePrefetchRepository implements PrefetchRepository {
  private readonly sql;

  constructor(private readonly state: StateDatabase) {
    state.migrate('prefetch', PREFETCH_MIGRATIONS);
    const db = state.sqlite;
    this.sql = {
      insertJob: db.prepare(upsert('prefetch_jobs', JOB_COLUMNS).replace('INSERT OR REPLACE', 'INSERT')),
      updateJob: db.prepare(`UPDATE prefetch_jobs SET ${JOB_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`),
      getJob: db.prepare('SELECT * FROM prefetch_jobs WHERE id = ?'),
      unfinished: db.prepare("SELECT * FROM prefetch_jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid"),
      studies: db.prepare('SELECT * FROM prefetch_job_studies WHERE job_id = ? ORDER BY position'),
      upsertStudy: db.prepare(upsert('prefetch_job_studies', STUDY_COLUMNS)),
      deleteStudies: db.prepare('DELETE FROM prefetch_job_studies WHERE job_id = ?'),
      deleteFinished: db.prepare(`DELETE FROM prefetch_jobs WHERE status IN (${[...FINISHED_STATUSES].map((s) => `'${s}'`).join(', ')}) AND finished_at < ?`),
      countByStatus: db.prepare('SELECT status, COUNT(*) AS n FROM prefetch_jobs GROUP BY status'),
    };
  }

  async insertJob(job: PrefetchJob): Promise<void> {
    this.sql.insertJob.run(jobParams(job));
  }

  async getJob(id: string): Promise<PrefetchJob | undefined> {
    const row = this.sql.getJob.get(id) as JobRow | undefined;
    return row && jobFromRow(row);
  }

  async listJobs(filter: JobListFilter): Promise<PrefetchJob[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      params.push(...filter.statuses);
    }
    if (filter.createdBy !== undefined) {
      where.push('created_by = ?');
      params.push(filter.createdBy);
    }
    const sql = `SELECT * FROM prefetch_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.state.sqlite.prepare(sql).all(...params, filter.limit) as JobRow[]).map(jobFromRow);
  }

  async unfinishedJobs(): Promise<PrefetchJob[]> {
    return (this.sql.unfinished.all() as JobRow[]).map(jobFromRow);
  }

  async listStudies(jobId: string): Promise<JobStudy[]> {
    return (this.sql.studies.all(jobId) as StudyRow[]).map(studyFromRow);
  }

  async save(job: PrefetchJob, studies: readonly JobStudy[] = []): Promise<void> {
    this.state.transaction(() => {
      this.sql.updateJob.run(jobParams(job));
      for (const s of studies) this.sql.upsertStudy.run(studyParams(job.id, s));
    });
  }

  async saveStudyList(job: PrefetchJob, studies: readonly JobStudy[]): Promise<void> {
    this.state.transaction(() => {
      this.sql.updateJob.run(jobParams(job));
      this.sql.deleteStudies.run(job.id);
      for (const s of studies) this.sql.upsertStudy.run(studyParams(job.id, s));
    });
  }

  async deleteFinishedBefore(isoTime: string): Promise<number> {
    return this.sql.deleteFinished.run(isoTime).changes;
  }

  async countByStatus(): Promise<Record<JobStatus, number>> {
    const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const row of this.sql.countByStatus.all() as Array<{ status: JobStatus; n: number }>) out[row.status] = row.n;
    return out;
  }
}
