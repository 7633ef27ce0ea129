/**
 * QIDO-RS queries by EHR identity (PS3.18 §10.6.1.2 matching keys PatientID
 * (0010,0020) + IssuerOfPatientID (0010,0021), the issuer being one of
 * identity.ehrIssuers): recognizing them, and rewriting them into the
 * archive's identities.
 */
import { lookupPath } from '../dicom/dictionary.js';
import { BadRequestError } from '../http/errors.js';
import type { QidoQuery, QueryFilter } from '../dicomweb/qido/query.js';
import type { PatientIdentity, ResolveOptions } from './resolver.js';

function topLevel(query: QidoQuery, keyword: string): QueryFilter | undefined {
  return query.filters.find((f) => f.path.length === 1 && f.path[0]!.keyword === keyword && f.kind !== 'universal');
}

/**
 * The EHR identity a query asks for, or undefined when it is an ordinary
 * archive query. An EHR issuer with anything but one exact PatientID is a 400:
 * EHR identifiers exist only through links, which are looked up by value.
 */
export function ehrIdentityOf(query: QidoQuery, ehrIssuers: readonly string[]): Required<PatientIdentity> | undefined {
  const issuer = topLevel(query, 'IssuerOfPatientID');
  if (!issuer || issuer.kind !== 'single' || !ehrIssuers.includes(issuer.value)) return undefined;
  const patient = topLevel(query, 'PatientID');
  if (!patient || patient.kind !== 'single') {
    throw new BadRequestError(
      'IDENTITY_EHR_NEEDS_PATIENT_ID',
      `IssuerOfPatientID "${issuer.value}" is an EHR assigning authority: a search by EHR identity needs one exact PatientID (no wildcards, no list).`,
      { parameter: 'PatientID' },
    );
  }
  return { id: patient.value, issuer: issuer.value };
}

/** Demographics the client gave with the query (exact values only), to find candidates when there is no link. */
export function demographicHints(query: QidoQuery): ResolveOptions['demographics'] {
  const hints: NonNullable<ResolveOptions['demographics']> = {};
  const name = topLevel(query, 'PatientName');
  const birthDate = topLevel(query, 'PatientBirthDate');
  const sex = topLevel(query, 'PatientSex')?.value.toUpperCase();
  if (name?.kind === 'single') hints.name = name.value;
  if (birthDate?.kind === 'single' && /^\d{8}$/.test(birthDate.value)) hints.birthDate = birthDate.value;
  if (sex === 'M' || sex === 'F' || sex === 'O') hints.sex = sex;
  return Object.keys(hints).length > 0 ? hints : undefined;
}

function exactFilter(keyword: string, value: string): QueryFilter {
  const path = lookupPath(keyword)!;
  return { param: keyword, path, vr: path[0]!.vr, kind: 'single', value, values: [value] };
}

const IDENTITY_KEYWORDS = new Set(['PatientID', 'IssuerOfPatientID']);

/** The identity's matching keys: PatientID, and IssuerOfPatientID when the archive identity has one. */
function identityFilters(pacs: PatientIdentity): QueryFilter[] {
  return [exactFilter('PatientID', pacs.id), ...(pacs.issuer ? [exactFilter('IssuerOfPatientID', pacs.issuer)] : [])];
}

const SUMMARY_FIELDS = ['IssuerOfPatientID', 'StudyDescription'].map((k) => lookupPath(k)!);

/**
 * The client's query asked of one archive identity: same level, path scope,
 * other keys and return attributes; all results (paging is applied after the
 * identities' answers are merged and screened).
 */
export function queryForArchiveIdentity(query: QidoQuery, pacs: PatientIdentity): QidoQuery {
  const filters = query.filters.filter((f) => !(f.path.length === 1 && IDENTITY_KEYWORDS.has(f.path[0]!.keyword)));
  const includeFields = query.level === 'study' ? [...query.includeFields, ...SUMMARY_FIELDS] : query.includeFields;
  return { ...query, filters: [...filters, ...identityFilters(pacs)], includeFields, limit: undefined, offset: 0 };
}

/** The studies of one archive identity (within the path's study, if any), with what screening compares. */
export function studiesOfArchiveIdentity(query: QidoQuery, pacs: PatientIdentity): QidoQuery {
  const scope = query.studyUid ? [exactFilter('StudyInstanceUID', query.studyUid)] : [];
  return {
    level: 'study',
    filters: [...identityFilters(pacs), ...scope],
    includeAll: false,
    includeFields: SUMMARY_FIELDS,
    fuzzy: false,
    emptyValueMatching: false,
    multipleValueMatching: true,
    offset: 0,
  };
}
