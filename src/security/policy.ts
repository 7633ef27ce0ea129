/**
 * The policy engine: pure functions deciding what a principal may do. Roles
 * gate transactions (read: QIDO/WADO, write: STOW, admin: operations);
 * restrictions gate data (patients, issuers, studies). Every restriction given
 * must hold (intersection): a token restricted to patient P and to study S
 * sees S only if S is P's. Missing data never widens access: a study whose
 * patient is unknown is not visible to a patient-restricted principal.
 */
import { anyGlobMatches } from './glob.js';
import type { Principal, Restriction, Role } from './principal.js';
import type { RouteKind } from './route-kind.js';

/** Patient identity as DICOM has it: PatientID (0010,0020) qualified by IssuerOfPatientID (0010,0021). */
export interface PatientRef {
  id?: string;
  issuer?: string;
}

export interface StudySubject {
  studyUid: string;
  /** The study's patients in the archive (normally one; several when the archive holds conflicting copies). */
  patients: readonly PatientRef[];
}

/** The role a transaction needs; undefined = authenticated is enough (e.g. an unknown path answered 404). */
export function requiredRole(kind: RouteKind): Role | undefined {
  switch (kind) {
    case 'search':
    case 'metadata':
    case 'retrieve':
    case 'rendered':
    case 'frames':
    case 'bulk':
    case 'prefetch':
      return 'read';
    case 'store':
      return 'write';
    case 'admin':
    case 'patient-admin':
      return 'admin';
    default:
      return undefined;
  }
}

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.has(role);
}

/** True when deciding on a study needs its patient (an archive lookup). */
export function needsPatient(restriction: Restriction | undefined): boolean {
  return restriction !== undefined && (restriction.patientIds !== undefined || restriction.issuers !== undefined);
}

export function mayAccessPatient(restriction: Restriction | undefined, patient: PatientRef): boolean {
  if (!restriction) return true;
  if (restriction.patientIds && !anyGlobMatches(restriction.patientIds, patient.id ?? '')) return false;
  if (restriction.issuers && !anyGlobMatches(restriction.issuers, patient.issuer ?? '')) return false;
  return true;
}

export function mayAccessStudyUid(restriction: Restriction | undefined, studyUid: string | undefined): boolean {
  if (!restriction?.studies) return true;
  return studyUid !== undefined && restriction.studies.includes(studyUid);
}

/** A study the archive holds: visible when its UID and every one of its patients are allowed. */
export function mayAccessStudy(restriction: Restriction | undefined, subject: StudySubject): boolean {
  if (!restriction) return true;
  if (!mayAccessStudyUid(restriction, subject.studyUid)) return false;
  if (!needsPatient(restriction)) return true;
  return subject.patients.length > 0 && subject.patients.every((p) => mayAccessPatient(restriction, p));
}

export interface StoreSubject {
  studyUid: string;
  /** Patient of the instance being stored. */
  patient: PatientRef;
  /** Patients of the study already in the archive (empty: a new study). */
  existingPatients: readonly PatientRef[];
}

/** Why an instance may not be stored, or undefined when it may. */
export function storeRefusal(restriction: Restriction | undefined, subject: StoreSubject): string | undefined {
  if (!restriction) return undefined;
  if (!mayAccessStudyUid(restriction, subject.studyUid)) return `study ${subject.studyUid} is not one this client may access`;
  if (!mayAccessPatient(restriction, subject.patient)) return 'the instance\'s patient (PatientID / IssuerOfPatientID) is not one this client may access';
  if (needsPatient(restriction) && !subject.existingPatients.every((p) => mayAccessPatient(restriction, p))) {
    return `study ${subject.studyUid} exists in the archive under a patient this client may not access`;
  }
  return undefined;
}
