/**
 * What the rest of the gateway asks of the patient identity layer (QIDO-RS,
 * prefetch jobs, FHIR): turn a patient identity that may be an EHR identifier
 * into the archive's identifiers, and screen the studies found under a link
 * against the EHR's demographics. The implementation lives in src/identity/;
 * callers depend on this interface only.
 */

/** A patient identifier qualified by its issuer: PatientID (0010,0020) + IssuerOfPatientID (0010,0021), or an EHR id + assigning authority. */
export interface PatientIdentity {
  id: string;
  issuer?: string;
}

/** DICOM JSON (PS3.18 Annex F) of one QIDO-RS study result. */
export type StudyRow = Record<string, { vr: string; Value?: unknown[] }>;

export interface IdentityResolution {
  /** The identity as asked. */
  asked: PatientIdentity;
  /** True when `asked` is an EHR identity (its issuer is one of identity.ehrIssuers). */
  ehr: boolean;
  /**
   * Archive identities to ask the PACS for: `asked` itself when it is not an EHR
   * identity; the linked PACS identities when it is (empty: no link yet, and a
   * reconciliation item says so).
   */
  pacs: PatientIdentity[];
  /** Set when resolving opened (or found open) a reconciliation item. */
  reconciliationId?: string;
  /** Status of that item: 'open' normally; a decided item is named when nothing new was found since. */
  reconciliationStatus?: 'open' | 'linked' | 'rejected' | 'resolved';
  /** Why no item was opened for an unlinked EHR identity (the caller's bound was reached), when so. */
  notRecorded?: string;
}

/** What the caller knows of the patient besides the identifier (e.g. QIDO's PatientName/PatientBirthDate/PatientSex). */
export interface ResolveOptions {
  demographics?: {
    /** DICOM PN (Family^Given) or plain text. */
    name?: string;
    /** YYYYMMDD. */
    birthDate?: string;
    sex?: 'M' | 'F' | 'O';
  };
}

export interface ScreenedStudies {
  /** Studies whose patient agrees with the link (each carries the EHR id in OtherPatientIDsSequence). */
  kept: StudyRow[];
  /** Studies held back because their demographics disagree with the link; each became a reconciliation item. */
  held: number;
  /** The reconciliation items of the held studies. */
  reconciliationIds?: string[];
  /** Studies left out because a person decided they are not this patient (rejected items); not counted in held. */
  excluded?: number;
}

export interface IdentityResolver {
  /** `options.demographics`, when known, find and score candidates if the EHR identity has no link. */
  resolve(identity: PatientIdentity, options?: ResolveOptions): Promise<IdentityResolution>;
  /** For an EHR resolution: keeps matching studies, holds the others for reconciliation. Pass-through otherwise. */
  screenStudies(resolution: IdentityResolution, studies: StudyRow[]): Promise<ScreenedStudies>;
}
