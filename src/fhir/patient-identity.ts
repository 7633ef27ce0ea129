/**
 * DICOM patient identity (PatientID (0010,0020) qualified by IssuerOfPatientID
 * (0010,0021)) as a FHIR Identifier, and back:
 * - an issuer that is an OID becomes system `urn:oid:<oid>` (FHIR R4 §2.24.0.1 "urn:oid:");
 * - an issuer that already is a URI (has a scheme) is the system as it is;
 * - any other issuer text (e.g. "HOSP-A") is not a URI, so it cannot be a system:
 *   the identifier gets `assigner.display` = the issuer and no system.
 * A search `subject:identifier=system|value` maps the system back the same way;
 * a plain issuer text given as system (`HOSP-A|P1`) is matched as it is.
 */
import type { PatientRef } from '../security/policy.js';

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

export interface FhirIdentifier {
  system?: string;
  value: string;
  assigner?: { display: string };
}

export function identifierOfPatient(patient: PatientRef & { id: string }): FhirIdentifier {
  const issuer = patient.issuer?.trim();
  if (!issuer) return { value: patient.id };
  if (OID.test(issuer)) return { system: `urn:oid:${issuer}`, value: patient.id };
  if (URI_SCHEME.test(issuer)) return { system: issuer, value: patient.id };
  return { value: patient.id, assigner: { display: issuer } };
}

/** The IssuerOfPatientID a search system stands for. */
export function issuerOfSystem(system: string): string {
  return system.startsWith('urn:oid:') && OID.test(system.slice(8)) ? system.slice(8) : system;
}
