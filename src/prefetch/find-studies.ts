/**
 * Finding a patient's studies: a QIDO-RS study search (PS3.18 §10.6.1,
 * /studies with PatientID, IssuerOfPatientID, StudyDate range and
 * ModalitiesInStudy keys) through the gateway's own QidoService, so that the
 * upstream planning (Orthanc matches what it indexes, the gateway the rest)
 * is the same as for viewers and the QIDO cache is warmed with the answer.
 */
import { parseQidoQuery } from '../dicomweb/qido/params.js';
import type { QidoService } from '../dicomweb/qido/service.js';
import type { PatientIdentity, StudyRow } from '../identity/resolver.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { mayAccessStudy } from '../security/policy.js';
import type { Restriction } from '../security/principal.js';
import type { JobStudy, PrefetchCriteria } from './types.js';

/** StudyDescription (0008,1030) and IssuerOfPatientID (0010,0021), beyond the required study attributes. */
const EXTRA_FIELDS = 'includefield=00081030,00100021';

export interface StudySearchResult {
  rows: StudyRow[];
  /** The archive held more matches than one search returns. */
  truncated: boolean;
}

const value = (row: StudyRow, tag: string): unknown => row[tag]?.Value?.[0];
const text = (row: StudyRow, tag: string): string | undefined => {
  const v = value(row, tag);
  return typeof v === 'string' && v !== '' ? v : undefined;
};

export function studyUidOf(row: StudyRow): string | undefined {
  const uid = text(row, '0020000D');
  return uid && isSafeUidSegment(uid) ? uid : undefined;
}

/** The raw QIDO query string (values percent-encoded: parseQidoQuery decodes them). */
export function studySearchQuery(identity: PatientIdentity, criteria: PrefetchCriteria): string {
  const parts = [`PatientID=${encodeURIComponent(identity.id)}`];
  if (identity.issuer) parts.push(`IssuerOfPatientID=${encodeURIComponent(identity.issuer)}`);
  const { from, to } = criteria.studyDate ?? {};
  if (from || to) parts.push(`StudyDate=${from ?? ''}-${to ?? ''}`);
  if (criteria.modalities?.length) parts.push(`ModalitiesInStudy=${criteria.modalities.join(',')}`);
  parts.push(EXTRA_FIELDS);
  return parts.join('&');
}

export async function searchStudies(qido: QidoService, identity: PatientIdentity, criteria: PrefetchCriteria, baseUrl: string): Promise<StudySearchResult> {
  const query = parseQidoQuery(studySearchQuery(identity, criteria), { level: 'study', ignoredParameters: [] });
  const { answer } = await qido.search(query, baseUrl);
  const truncated = /exceeded the limit|more candidates/.test(answer.headers.warning ?? '');
  if (answer.status !== 200) return { rows: [], truncated };
  const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
  return { rows: Array.isArray(parsed) ? (parsed as StudyRow[]) : [], truncated };
}

/** Rows the job's creator may read (the same rule as their own QIDO searches), one per study. */
export function visibleUniqueRows(rows: readonly StudyRow[], restriction: Restriction | undefined): StudyRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const studyUid = studyUidOf(row);
    if (!studyUid || seen.has(studyUid)) return false;
    seen.add(studyUid);
    const patient = { id: text(row, '00100020'), issuer: text(row, '00100021') };
    return mayAccessStudy(restriction, { studyUid, patients: [patient] });
  });
}

const count = (row: StudyRow, tag: string): number => {
  const n = Number(value(row, tag));
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/** Newest first (the priors a reader wants first), then by UID for a stable order. */
export function toJobStudies(rows: readonly StudyRow[], maxStudies: number, overLimitReason: string): JobStudy[] {
  const sorted = [...rows].sort((a, b) => (text(b, '00080020') ?? '').localeCompare(text(a, '00080020') ?? '') || studyUidOf(a)!.localeCompare(studyUidOf(b)!));
  return sorted.map((row, position) => ({
    studyUid: studyUidOf(row)!,
    position,
    studyDate: text(row, '00080020'),
    description: text(row, '00081030'),
    modalities: (row['00080061']?.Value ?? []).filter((m): m is string => typeof m === 'string'),
    status: position < maxStudies ? 'queued' : 'skipped',
    series: count(row, '00201206'),
    instances: count(row, '00201208'),
    instancesDone: 0,
    instancesReused: 0,
    bytes: 0,
    ...(position >= maxStudies && { error: overLimitReason }),
  }));
}
