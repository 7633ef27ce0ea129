/**
 * Failure and warning reasons of the Store Instances Response Module
 * (PS3.18 Annex I, §I.2.2 Table I.2-2 and §I.2.1 Table I.2-1). Codes outside
 * those tables are allowed ("additional codes may be used") and are listed in
 * the README's STOW-RS section, as §10.5.5 asks of a conformance statement.
 */
export const FailureReason = {
  /** A7xx Refused: out of resources (also: the archive is unavailable; retry later). */
  OUT_OF_RESOURCES: 0xa700,
  /** A9xx Error: data set does not match SOP Class (missing/invalid attributes, study mismatch). */
  DATASET_DOES_NOT_MATCH: 0xa900,
  /** Cxxx Error: cannot understand (not a Part 10 file, malformed encoding). */
  CANNOT_UNDERSTAND: 0xc000,
  /** C122 Referenced Transfer Syntax not supported. */
  TRANSFER_SYNTAX_NOT_SUPPORTED: 0xc122,
  /** 0110 Processing failure. */
  PROCESSING_FAILURE: 0x0110,
  /** 0111 Duplicate SOP Instance (PS3.7 Annex C): the UID already names a different instance in the archive. */
  DUPLICATE_SOP_INSTANCE: 0x0111,
  /** 0122 Referenced SOP Class not supported. */
  SOP_CLASS_NOT_SUPPORTED: 0x0122,
  /** 0124 Refused: not authorized (PS3.7 Annex C), e.g. a policy forbids creating a study. */
  NOT_AUTHORIZED: 0x0124,
} as const;

export const WarningReason = {
  /** B000 Coercion of data elements (reported by the archive). */
  COERCION: 0xb000,
  /** B006 Elements discarded (reported by the archive). */
  ELEMENTS_DISCARDED: 0xb006,
  /** B007 Data set does not match SOP Class (accepted anyway). */
  DATASET_DOES_NOT_MATCH: 0xb007,
  /**
   * Gateway-specific: the archive already holds this SOP Instance in the same
   * study and series; it was not stored again. 45070 is the value Microsoft's
   * DICOM service uses for the same situation.
   */
  ALREADY_STORED: 0xb00e,
} as const;

export function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
