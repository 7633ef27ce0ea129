/**
 * Schema migrations, per module: each module that keeps state declares an
 * ordered list of migrations for its own tables, and the version it reached is
 * recorded in `schema_migrations` under its name. Modules therefore evolve
 * independently, and a database written by an older gateway is brought forward
 * at start. Migrations are append-only: a released migration is never edited.
 */
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3… in order, without gaps. */
  version: number;
  /** What it does, for the log and the table. */
  description: string;
  /** SQL run in one transaction with the version bump. */
  sql: string;
}

export class MigrationError extends Error {
  readonly code = 'STATE_MIGRATION_FAILED';
}

function assertOrdered(module: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migrations of ${module} must be numbered 1, 2, 3…; found ${m.version} at position ${i + 1}`);
  });
}

/** Applies the migrations of `module` not yet applied; returns how many ran. */
export function applyMigrations(db: BetterSqlite3.Database, module: string, migrations: readonly Migration[]): number {
  assertOrdered(module, migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (module, version))`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE module = ?').get(module) as { v: number | null };
  const current = row.v ?? 0;
  if (current > migrations.length) {
    throw new MigrationError(`the state database has ${module} at version ${current}, newer than this gateway knows (${migrations.length}); run a newer gateway or restore a backup`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (?, ?, ?, ?)');
  const pending = migrations.slice(current);
  for (const m of pending) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        record.run(module, m.version, m.description, new Date().toISOString());
      })();
    } catch (err) {
      throw new MigrationError(`migration ${m.version} of ${module} (${m.description}) failed: ${(err as Error).message}`);
    }
  }
  return pending.length;
}
