/**
 * Per-request access decisions for one principal (`ctx.state.access`): the
 * study check every study-scoped route runs (src/dicomweb/routes.ts), the
 * QIDO row filter, and the STOW-RS per-instance check. Studies the caller may
 * not see answer exactly like studies that do not exist (404), so a restricted
 * caller cannot probe for them.
 */
import { NotFoundError } from '../http/errors.js';
import { AuditFacts } from './audit/facts.js';
import { StoreNotAuthorizedError } from './errors.js';
import { mayAccessPatient, mayAccessStudy, mayAccessStudyUid, needsPatient, storeRefusal, type PatientRef } from './policy.js';
import type { Principal } from './principal.js';
import { patientOfRow, type StudyPatients } from './study-patients.js';

export interface StoreTarget {
  studyUid: string;
  /** PatientID (0010,0020) of the instance. */
  patientId?: string;
  /** IssuerOfPatientID (0010,0021) of the instance. */
  issuer?: string;
}

type JsonRow = Record<string, { Value?: unknown[] } | undefined>;

/** Patient lookups one search answer may trigger for rows that lack PatientID/Issuer; rows beyond are dropped. */
const MAX_ROW_LOOKUPS = 100;

export function studyNotVisible(studyUid: string): NotFoundError {
  return new NotFoundError(`No study ${studyUid} in the archive that you may access.`, 'NOT_FOUND');
}

export class RequestAccess {
  constructor(
    readonly principal: Principal,
    private readonly studies: StudyPatients,
    readonly facts: AuditFacts = new AuditFacts(),
    private readonly resolveForAudit = false,
  ) {}

  get restricted(): boolean {
    return this.principal.restriction !== undefined;
  }

  /** Runs before every handler with a {study} path parameter. `forStore`: POST /studies/{study} may create the study. */
  async authorizeStudy(studyUid: string, forStore: boolean): Promise<void> {
    this.facts.addStudy(studyUid);
    const restriction = this.principal.restriction;
    if (!restriction) {
      await this.recordPatientsForAudit(studyUid);
      return;
    }
    if (!mayAccessStudyUid(restriction, studyUid)) return this.refuse(studyUid, 'study not in the caller\'s allowed studies');
    if (!needsPatient(restriction)) return;
    const patients = await this.studies.lookup(studyUid);
    if (!patients) {
      if (forStore) return;
      throw studyNotVisible(studyUid);
    }
    this.facts.addPatients(patients);
    if (!mayAccessStudy(restriction, { studyUid, patients })) this.refuse(studyUid, 'study of a patient the caller may not access');
  }

  private refuse(studyUid: string, reason: string): never {
    this.facts.deny(reason);
    throw studyNotVisible(studyUid);
  }

  private async recordPatientsForAudit(studyUid: string): Promise<void> {
    const known = this.studies.peek(studyUid) ?? (this.resolveForAudit ? await this.studies.lookup(studyUid).catch(() => undefined) : undefined);
    if (known) this.facts.addPatients(known);
  }

  /** STOW-RS, per instance: throws StoreNotAuthorizedError when the caller may not store it. */
  async assertMayStore(target: StoreTarget): Promise<void> {
    const patient: PatientRef = { ...(target.patientId !== undefined && { id: target.patientId }), ...(target.issuer !== undefined && { issuer: target.issuer }) };
    this.facts.addStudy(target.studyUid);
    this.facts.addPatients([patient]);
    const restriction = this.principal.restriction;
    if (!restriction) return;
    const existing = needsPatient(restriction) ? ((await this.studies.lookup(target.studyUid)) ?? []) : [];
    const refusal = storeRefusal(restriction, { studyUid: target.studyUid, patient, existingPatients: existing });
    if (refusal) {
      this.facts.deny(`store refused: ${refusal}`);
      throw new StoreNotAuthorizedError(`Not stored: ${refusal}.`);
    }
  }

  /** QIDO rows the caller may see (cross-study searches; study-scoped ones passed authorizeStudy). */
  async filterRows(rows: readonly JsonRow[]): Promise<JsonRow[]> {
    const restriction = this.principal.restriction;
    if (!restriction) return [...rows];
    const lookups = new Map<string, Promise<readonly PatientRef[] | undefined>>();
    const kept: JsonRow[] = [];
    for (const row of rows) {
      const studyUid = row['0020000D']?.Value?.[0];
      if (typeof studyUid !== 'string' || !mayAccessStudyUid(restriction, studyUid)) continue;
      const patients = needsPatient(restriction) ? await this.rowPatients(row, studyUid, lookups) : [];
      if (!patients) continue;
      if (!patients.every((p) => mayAccessPatient(restriction, p))) continue;
      this.facts.addStudy(studyUid);
      this.facts.addPatients(patients);
      kept.push(row);
    }
    return kept;
  }

  /** The row's own PatientID/Issuer when it has what the restriction needs, else the study's from the archive. */
  private async rowPatients(row: JsonRow, studyUid: string, lookups: Map<string, Promise<readonly PatientRef[] | undefined>>) {
    const own = patientOfRow(row);
    const restriction = this.principal.restriction!;
    const complete = (restriction.patientIds === undefined || own.id !== undefined) && (restriction.issuers === undefined || own.issuer !== undefined);
    if (complete) return [own];
    if (!lookups.has(studyUid)) {
      if (lookups.size >= MAX_ROW_LOOKUPS) return undefined;
      lookups.set(studyUid, this.studies.lookup(studyUid));
    }
    const patients = await lookups.get(studyUid);
    return patients && patients.length > 0 ? patients : undefined;
  }
}
