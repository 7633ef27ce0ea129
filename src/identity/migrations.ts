/**
 * Tables of the identity module (prefix identity_), applied through
 * services.state.migrate('identity', …). Append-only: a released migration is
 * never edited; changes come as new versions.
 */
import type { Migration } from '../state/migrations.js';

export const IDENTITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'identity links and reconciliation items',
    sql: `
      CREATE TABLE identity_links (
        id TEXT PRIMARY KEY,
        ehr_id TEXT NOT NULL,
        ehr_issuer TEXT NOT NULL,
        pacs_id TEXT NOT NULL,
        pacs_issuer TEXT NOT NULL DEFAULT '',
        name TEXT,
        birth_date TEXT,
        sex TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        source TEXT NOT NULL,
        UNIQUE (ehr_id, ehr_issuer, pacs_id, pacs_issuer)
      );
      CREATE INDEX identity_links_pacs ON identity_links (pacs_id, pacs_issuer);

      CREATE TABLE identity_reconciliation (
        id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        ehr_id TEXT NOT NULL,
        ehr_issuer TEXT NOT NULL,
        study_uid TEXT NOT NULL DEFAULT '',
        ehr_demographics TEXT,
        study TEXT,
        link_id TEXT,
        score REAL,
        candidates TEXT NOT NULL,
        decision TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      -- One open item per question; one mismatch item per EHR identity and study, whatever its status (a decision is remembered).
      CREATE UNIQUE INDEX identity_reconciliation_open ON identity_reconciliation (reason, ehr_id, ehr_issuer, study_uid) WHERE status = 'open';
      CREATE UNIQUE INDEX identity_reconciliation_study ON identity_reconciliation (ehr_id, ehr_issuer, study_uid) WHERE reason = 'DEMOGRAPHICS_MISMATCH';
      CREATE INDEX identity_reconciliation_status ON identity_reconciliation (status, created_at);
      CREATE INDEX identity_reconciliation_ehr ON identity_reconciliation (ehr_id, ehr_issuer);
    `,
  },
];
