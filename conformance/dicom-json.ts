/**
 * Reading DICOM JSON (PS3.18 Annex F) answers, and the tags the cases use.
 * The suite deliberately has its own table instead of importing the gateway's
 * dictionary: it is a black-box test and must not share the gateway's mistakes.
 */
export type DicomDataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export const TAG = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  ReferringPhysicianName: '00080090',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  RetrieveURL: '00081190',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
} as const;

type Keyword = keyof typeof TAG;
const pick = (...keys: Keyword[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, TAG[k]]));

/** Table 10.6.3-3, Type R and U (always present; may be empty). */
export const STUDY_REQUIRED = pick('StudyDate', 'StudyTime', 'AccessionNumber', 'ModalitiesInStudy', 'ReferringPhysicianName',
  'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyID',
  'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances');

/** Table 10.6.3-4, Type R and U, plus Series Description (C: present if known, and the fixtures have one). */
export const SERIES_REQUIRED = pick('Modality', 'SeriesInstanceUID', 'SeriesNumber', 'NumberOfSeriesRelatedInstances', 'SeriesDescription');

/** Table 10.6.3-5, Type R and U, plus Rows/Columns/Bits Allocated (C: present if known; the fixtures are images). */
export const INSTANCE_REQUIRED = pick('SOPClassUID', 'SOPInstanceUID', 'InstanceNumber', 'Rows', 'Columns', 'BitsAllocated');

export function values(dataset: DicomDataset, tag: string): unknown[] {
  return dataset[tag]?.Value ?? [];
}

/** First value as text; PN values give their Alphabetic group. */
export function text(dataset: DicomDataset, tag: string): string | undefined {
  const v = values(dataset, tag)[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object') {
    const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' ? alphabetic : undefined;
  }
  return undefined;
}

/** The first value of `tag` of every dataset (missing values become ""). */
export function column(list: readonly DicomDataset[], tag: string): string[] {
  return list.map((d) => text(d, tag) ?? '');
}
