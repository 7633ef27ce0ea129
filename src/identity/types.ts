/**
 * The identity module's own data: links between an EHR identity and archive
 * (PACS) identities, and reconciliation items for what could not be matched.
 * Plain data; the repositories store it, the routes show it as JSON.
 */

/** Administrative sex as DICOM PatientSex (0010,0040) has it. */
export type Sex = 'M' | 'F' | 'O';

/** Demographics of one patient record; each field may be unknown. */
export interface Demographics {
  /** DICOM PN form (Family^Given^Middle) or plain text ("Given Family", "Family, Given"). */
  name?: string;
  /** YYYYMMDD. */
  birthDate?: string;
  sex?: Sex;
}

export type LinkSource = 'api' | 'import' | 'reconciliation';

/** What creating a link needs (API body, import row, reconciliation action). */
export interface LinkInput {
  ehrId: string;
  ehrIssuer: string;
  /** PatientID (0010,0020) in the archive. */
  patientId: string;
  /** IssuerOfPatientID (0010,0021) in the archive; '' when the archive does not use issuers. */
  issuerOfPatientId: string;
  /** The EHR's demographics of the patient, compared with each study found under the link. */
  demographics?: Demographics;
}

export interface Link {
  id: string;
  ehr: { id: string; issuer: string };
  pacs: { patientId: string; issuer: string };
  demographics?: Demographics;
  createdAt: string;
  /** Principal id of whoever created it. */
  createdBy: string;
  source: LinkSource;
}

export type ReconciliationStatus = 'open' | 'linked' | 'rejected' | 'resolved';
export const RECONCILIATION_STATUSES: readonly ReconciliationStatus[] = ['open', 'linked', 'rejected', 'resolved'];

/**
 * NO_LINK: an EHR identity was asked for and has no link (item per identity).
 * DEMOGRAPHICS_MISMATCH: a study found under a link disagrees with the link's EHR demographics (item per EHR identity + study).
 */
export type ReconciliationReason = 'NO_LINK' | 'DEMOGRAPHICS_MISMATCH';
export const RECONCILIATION_REASONS: readonly ReconciliationReason[] = ['NO_LINK', 'DEMOGRAPHICS_MISMATCH'];

/** Agreement of two demographic records: 0..1 over the fields both know, per field; score undefined when none is comparable. */
export interface MatchScore {
  score?: number;
  fields: { name?: number; birthDate?: number; sex?: number };
}

/** An archive patient that may be the EHR patient. */
export interface Candidate {
  patientId: string;
  issuerOfPatientId: string;
  demographics: Demographics;
  /** Studies of this patient seen by the search that found it (bounded). */
  studies: number;
  /** Agreement with the EHR demographics (absent when those are unknown). */
  score?: number;
  fields: MatchScore['fields'];
  /** Why it is a candidate: same PatientID value (any issuer), matching demographics, or the held study's own patient. */
  foundBy: Array<'patientId' | 'demographics' | 'study'>;
}

/** The study a DEMOGRAPHICS_MISMATCH item is about, as the archive describes it. */
export interface StudySummary {
  studyInstanceUid: string;
  patientId: string;
  issuerOfPatientId: string;
  demographics: Demographics;
  studyDate?: string;
  studyDescription?: string;
}

export type ReconciliationActionName = 'link' | 'reject' | 'resolve';

export interface ReconciliationDecision {
  action: ReconciliationActionName;
  /** Principal id of whoever decided. */
  by: string;
  at: string;
  note?: string;
  /** For link: the link created or confirmed, and the archive identity it names. */
  linkId?: string;
  linkedTo?: { patientId: string; issuerOfPatientId: string };
}

export interface ReconciliationItem {
  id: string;
  reason: ReconciliationReason;
  status: ReconciliationStatus;
  ehr: { id: string; issuer: string };
  /** What the EHR says of the patient (the link's demographics, or those given with the query). */
  ehrDemographics?: Demographics;
  /** DEMOGRAPHICS_MISMATCH: the study held back. */
  study?: StudySummary;
  /** DEMOGRAPHICS_MISMATCH: the link under which the study was found. */
  linkId?: string;
  /** DEMOGRAPHICS_MISMATCH: agreement of the study with the link (below identity.matchThreshold). */
  score?: number;
  candidates: Candidate[];
  createdAt: string;
  updatedAt: string;
  /** The decision taken, once the item is no longer open. */
  decision?: ReconciliationDecision;
}

/** Field-level validation problem (API bodies and import rows). */
export interface FieldError {
  field: string;
  message: string;
}
