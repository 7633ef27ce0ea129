/**
 * What one request touched, collected while it runs (study hook, QIDO filter,
 * STOW checks) and written into its audit event. Bounded: an event names at
 * most MAX_OBJECTS studies and patients (a search answer can have thousands).
 */
import type { PatientRef } from '../policy.js';

const MAX_OBJECTS = 1000;

export class AuditFacts {
  readonly studies = new Set<string>();
  readonly patients = new Map<string, PatientRef>();
  /** Set when an access was refused by policy (the event becomes a Security Alert). */
  denial?: string;
  /** Free-form counts added by handlers (e.g. instances stored). */
  readonly detail: Record<string, unknown> = {};
  truncated = false;

  addStudy(uid: string): void {
    if (this.studies.size < MAX_OBJECTS) this.studies.add(uid);
    else this.truncated = true;
  }

  addPatients(patients: readonly PatientRef[]): void {
    for (const p of patients) {
      if (this.patients.size >= MAX_OBJECTS) {
        this.truncated = true;
        return;
      }
      this.patients.set(`${p.id ?? ''}\u0000${p.issuer ?? ''}`, p);
    }
  }

  deny(reason: string): void {
    this.denial ??= reason;
  }
}
