/**
 * Which patient a study belongs to, asked of the archive with QIDO-RS
 * (PS3.18 §10.6: /studies?StudyInstanceUID=…&includefield=00100021) and
 * remembered for security.studyLookupTtlMs. Used for patient-restricted access
 * checks and for the audit trail. Unknown studies are never remembered, so a
 * study created a moment later (STOW-RS) is seen at once.
 */
import { LRUCache } from 'lru-cache';
import type { UpstreamClient } from '../upstream/client.js';
import type { PatientRef } from './policy.js';

type JsonRow = Record<string, { Value?: unknown[] } | undefined>;

function firstString(row: JsonRow, tag: string): string | undefined {
  const value = row[tag]?.Value?.[0];
  return typeof value === 'string' ? value : undefined;
}

/** PatientID (0010,0020) and IssuerOfPatientID (0010,0021) of a QIDO / metadata row. */
export function patientOfRow(row: JsonRow): PatientRef {
  const id = firstString(row, '00100020');
  const issuer = firstString(row, '00100021');
  return { ...(id !== undefined && { id }), ...(issuer !== undefined && { issuer }) };
}

function distinct(patients: PatientRef[]): PatientRef[] {
  const seen = new Map<string, PatientRef>();
  for (const p of patients) seen.set(`${p.id ?? ''}\u0000${p.issuer ?? ''}`, p);
  return [...seen.values()];
}

export class StudyPatients {
  private readonly lru: LRUCache<string, PatientRef[]>;

  constructor(private readonly upstream: UpstreamClient, ttlMs: number) {
    this.lru = new LRUCache<string, PatientRef[]>({
      max: 50_000,
      ttl: ttlMs,
      // Concurrent lookups of one study share one upstream query; "not found" (undefined) is not cached.
      fetchMethod: async (studyUid) => {
        const rows = await this.upstream.getJson('/studies', `StudyInstanceUID=${studyUid}&includefield=00100021`);
        const list = Array.isArray(rows) ? (rows as JsonRow[]) : [];
        return list.length > 0 ? distinct(list.map(patientOfRow)) : undefined;
      },
    });
  }

  /** The study's patients, or undefined when the archive does not hold it. `studyUid` must be a validated UID. */
  async lookup(studyUid: string): Promise<readonly PatientRef[] | undefined> {
    return this.lru.fetch(studyUid);
  }

  /** What is known without asking the archive. */
  peek(studyUid: string): readonly PatientRef[] | undefined {
    return this.lru.peek(studyUid);
  }
}
