/**
 * Reading and annotating QIDO-RS rows (DICOM JSON, PS3.18 Annex F) for the
 * identity layer: the patient a row names, its demographics, and the EHR
 * identifier added to OtherPatientIDsSequence (0010,1002), PS3.3 C.7.1.1
 * (items: PatientID (0010,0020), IssuerOfPatientID (0010,0021), TypeOfPatientID (0010,0022)).
 */
import type { PatientIdentity, StudyRow } from './resolver.js';
import type { Demographics, Link, Sex, StudySummary } from './types.js';

export const TAGS = {
  studyUid: '0020000D',
  seriesUid: '0020000E',
  sopUid: '00080018',
  studyDate: '00080020',
  studyDescription: '00081030',
  patientName: '00100010',
  patientId: '00100020',
  issuer: '00100021',
  typeOfPatientId: '00100022',
  birthDate: '00100030',
  sex: '00100040',
  otherPatientIds: '00101002',
} as const;

type AnyRow = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export function stringOf(row: AnyRow, tag: string): string | undefined {
  const value = row[tag]?.Value?.[0];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (value && typeof value === 'object' && tag === TAGS.patientName) {
    const pn = value as Record<string, unknown>;
    const text = ['Alphabetic', 'Ideographic', 'Phonetic'].map((g) => pn[g]).find((v): v is string => typeof v === 'string' && v.trim() !== '');
    return text?.trim();
  }
  return undefined;
}

/** PatientID and IssuerOfPatientID of a row ('' issuer when absent). */
export function patientOf(row: StudyRow): { patientId: string; issuer: string } {
  return { patientId: stringOf(row, TAGS.patientId) ?? '', issuer: stringOf(row, TAGS.issuer) ?? '' };
}

export function demographicsOf(row: StudyRow): Demographics {
  const out: Demographics = {};
  const name = stringOf(row, TAGS.patientName);
  const birthDate = stringOf(row, TAGS.birthDate);
  const sex = stringOf(row, TAGS.sex)?.toUpperCase();
  if (name) out.name = name;
  if (birthDate && /^\d{8}$/.test(birthDate)) out.birthDate = birthDate;
  if (sex === 'M' || sex === 'F' || sex === 'O') out.sex = sex as Sex;
  return out;
}

export function studySummaryOf(row: StudyRow): StudySummary | undefined {
  const studyInstanceUid = stringOf(row, TAGS.studyUid);
  if (!studyInstanceUid) return undefined;
  const { patientId, issuer } = patientOf(row);
  const studyDate = stringOf(row, TAGS.studyDate);
  const studyDescription = stringOf(row, TAGS.studyDescription);
  return {
    studyInstanceUid,
    patientId,
    issuerOfPatientId: issuer,
    demographics: demographicsOf(row),
    ...(studyDate && { studyDate }),
    ...(studyDescription && { studyDescription }),
  };
}

/** The archive identity a link names (no issuer when the archive does not use one). */
export function pacsIdentityOf(link: Link): PatientIdentity {
  return link.pacs.issuer ? { id: link.pacs.patientId, issuer: link.pacs.issuer } : { id: link.pacs.patientId };
}

/** True when the row's patient is this archive identity (an identity without issuer matches any issuer). */
export function rowIsPatient(row: StudyRow, pacs: PatientIdentity): boolean {
  const { patientId, issuer } = patientOf(row);
  return patientId === pacs.id && (!pacs.issuer || pacs.issuer === issuer);
}

/** A copy of the row naming the EHR identity in OtherPatientIDsSequence (kept in tag order, PS3.18 F.2.1). */
export function withOtherPatientId(row: StudyRow, ehr: PatientIdentity): StudyRow {
  const item = {
    [TAGS.patientId]: { vr: 'LO', Value: [ehr.id] },
    ...(ehr.issuer && { [TAGS.issuer]: { vr: 'LO', Value: [ehr.issuer] } }),
    [TAGS.typeOfPatientId]: { vr: 'CS', Value: ['TEXT'] },
  };
  const existing = (row[TAGS.otherPatientIds]?.Value ?? []) as AnyRow[];
  const already = existing.some((i) => stringOf(i, TAGS.patientId) === ehr.id && (stringOf(i, TAGS.issuer) ?? '') === (ehr.issuer ?? ''));
  const merged: StudyRow = { ...row, [TAGS.otherPatientIds]: { vr: 'SQ', Value: already ? existing : [...existing, item] } };
  const sorted: StudyRow = {};
  for (const key of Object.keys(merged).sort()) sorted[key] = merged[key]!;
  return sorted;
}
