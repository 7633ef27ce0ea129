/**
 * The gateway's durable state: one SQLite database (better-sqlite3) in
 * `state.dir`, shared by the modules that keep state (identity links,
 * reconciliation, prefetch jobs, edge cache index). Each module owns its tables
 * and brings its own migrations (see migrations.ts); nothing outside a module's
 * repository touches its tables, so a PostgreSQL backend can replace a
 * repository without the rest of the gateway noticing.
 *
 * WAL journal with synchronous=NORMAL: a committed transaction survives a crash
 * of the gateway process; a power cut may lose the last transactions but never
 * corrupts the file (SQLite's documented WAL guarantee).
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { applyMigrations, type Migration } from './migrations.js';

export type SqliteDatabase = BetterSqlite3.Database;

export function stateDir(config: GatewayConfig['state']): string {
  return config.dir ?? path.join(os.tmpdir(), 'dicomweb-gateway-state');
}

export class StateDatabase {
  readonly sqlite: SqliteDatabase;
  readonly file: string;

  constructor(readonly dir: string, private readonly log: Logger) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'gateway.sqlite');
    this.sqlite = new BetterSqlite3(this.file);
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma('synchronous = NORMAL');
    this.sqlite.pragma('foreign_keys = ON');
    // A second gateway process on the same folder waits for the lock instead of failing at once.
    this.sqlite.pragma('busy_timeout = 5000');
  }

  /** Brings one module's tables up to date (idempotent; run at start by the module that owns them). */
  migrate(module: string, migrations: readonly Migration[]): number {
    const applied = applyMigrations(this.sqlite, module, migrations);
    if (applied > 0) this.log.info({ module, applied }, 'state database migrated');
    return applied;
  }

  /** Runs `work` in one transaction (all or nothing). */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work)();
  }

  get open(): boolean {
    return this.sqlite.open;
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

/** Opens the configured state database (the only backend today is SQLite). */
export function openStateDatabase(config: GatewayConfig['state'], log: Logger): StateDatabase {
  return new StateDatabase(stateDir(config), log);
}
