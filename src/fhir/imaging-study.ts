/**
 * QIDO-RS study, series and instance rows (PS3.18 §10.6.3, DICOM JSON Annex F)
 * → a FHIR R4 ImagingStudy (http://hl7.org/fhir/R4/imagingstudy.html), following
 * the DICOM mapping of the R4 resource:
 * - id: the Study Instance UID itself. A UID is digits and dots, at most 64
 *   characters, so it already is a valid FHIR id ([A-Za-z0-9\-\.]{1,64}), and
 *   `GET /fhir/ImagingStudy/{id}` needs no lookup table;
 * - identifier: the UID as `urn:dicom:uid` / `urn:oid:<uid>`, and the accession
 *   number typed ACSN (v2-0203);
 * - subject: a Patient reference by identifier (see patient-identity.ts);
 * - endpoint: a contained Endpoint whose address is the gateway's public
 *   DICOMweb root (WADO-RS base, never the upstream's).
 */
import { fhirDateTime } from './dates.js';
import { identifierOfPatient } from './patient-identity.js';
import { DCM_SYSTEM } from './search-params.js';

type Row = Record<string, { Value?: unknown[] } | undefined>;
type Json = Record<string, unknown>;

const ENDPOINT_ID = 'dicomweb';

function text(row: Row, tag: string): string | undefined {
  const v = row[tag]?.Value?.[0];
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  return typeof v === 'number' ? String(v) : undefined;
}

function texts(row: Row, tag: string): string[] {
  return (row[tag]?.Value ?? []).filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}

/** IS / US values as a FHIR unsignedInt; undefined when absent or not a non-negative integer. */
function count(row: Row, tag: string): number | undefined {
  const raw = row[tag]?.Value?.[0];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 2_147_483_647 ? n : undefined;
}

const modalityCoding = (code: string) => ({ system: DCM_SYSTEM, code });
/** Drops undefined members, so the JSON has no nulls (FHIR JSON §2.6.2: absent, never null). */
const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function dicomwebEndpoint(dicomwebRoot: string): Json {
  return {
    resourceType: 'Endpoint',
    id: ENDPOINT_ID,
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
    name: 'DICOMweb (WADO-RS, QIDO-RS) root of this gateway',
    payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any' }], text: 'DICOM' }],
    payloadMimeType: ['application/dicom'],
    address: dicomwebRoot,
  };
}

function subjectOf(study: Row): Json {
  const id = text(study, '00100020');
  if (id === undefined) return { display: 'Patient without a PatientID in the archive' };
  const issuer = text(study, '00100021');
  return { type: 'Patient', identifier: identifierOfPatient({ id, ...(issuer !== undefined && { issuer }) }) };
}

function identifiersOf(studyUid: string, study: Row): Json[] {
  const out: Json[] = [{ use: 'official', system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }];
  const accession = text(study, '00080050');
  if (accession !== undefined) out.push({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: accession });
  return out;
}

function instanceOf(row: Row): Json | undefined {
  const uid = text(row, '00080018');
  const sopClass = text(row, '00080016');
  if (uid === undefined || sopClass === undefined) return undefined;
  return defined({ uid, sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${sopClass}` }, number: count(row, '00200013') });
}

function seriesOf(row: Row, instances: readonly Row[]): Json | undefined {
  const uid = text(row, '0020000E');
  if (uid === undefined) return undefined;
  const own = instances.filter((i) => text(i, '0020000E') === uid).map(instanceOf).filter((i): i is Json => i !== undefined);
  const bodyPart = text(row, '00180015');
  return defined({
    uid,
    number: count(row, '00200011'),
    // Modality is required in FHIR; OT ("Other", PS3.3 C.7.3.1.1.1) when the archive has none.
    modality: modalityCoding(text(row, '00080060') ?? 'OT'),
    description: text(row, '0008103E'),
    numberOfInstances: count(row, '00201209') ?? (own.length > 0 ? own.length : undefined),
    // BodyPartExamined is a DICOM defined term (PS3.16 Annex L), not a SNOMED code: display only.
    bodySite: bodyPart === undefined ? undefined : { display: bodyPart },
    started: fhirDateTime(text(row, '00080021'), text(row, '00080031'), text(row, '00080201')),
    instance: own.length > 0 ? own : undefined,
  });
}

export interface StudyRows {
  study: Row;
  series: readonly Row[];
  instances: readonly Row[];
}

/** The ImagingStudy of one study; undefined when the row has no usable Study Instance UID. */
export function toImagingStudy(rows: StudyRows, dicomwebRoot: string): Json | undefined {
  const { study } = rows;
  const studyUid = text(study, '0020000D');
  if (studyUid === undefined || !/^[0-9.]{1,64}$/.test(studyUid)) return undefined;
  const series = rows.series.map((s) => seriesOf(s, rows.instances)).filter((s): s is Json => s !== undefined);
  const modalities = [...new Set([...texts(study, '00080061'), ...series.map((s) => (s.modality as { code: string }).code)])];
  return defined({
    resourceType: 'ImagingStudy',
    id: studyUid,
    contained: [dicomwebEndpoint(dicomwebRoot)],
    identifier: identifiersOf(studyUid, study),
    status: 'available',
    modality: modalities.length > 0 ? modalities.map(modalityCoding) : undefined,
    subject: subjectOf(study),
    started: fhirDateTime(text(study, '00080020'), text(study, '00080030'), text(study, '00080201')),
    endpoint: [{ reference: `#${ENDPOINT_ID}` }],
    numberOfSeries: count(study, '00201206') ?? (series.length > 0 ? series.length : undefined),
    numberOfInstances: count(study, '00201208') ?? (rows.instances.length > 0 ? rows.instances.length : undefined),
    description: text(study, '00081030'),
    series: series.length > 0 ? series : undefined,
  });
}
