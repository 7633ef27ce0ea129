/**
 * Reading values out of DICOM JSON objects (PS3.18 §F.2) as QIDO answers them.
 */
export type DicomJsonObject = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export function firstValue(obj: DicomJsonObject, tag: string): unknown {
  return obj[tag]?.Value?.[0];
}

export function stringOf(obj: DicomJsonObject, tag: string): string | undefined {
  const v = firstValue(obj, tag);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    const pn = v as { Alphabetic?: unknown };
    return typeof pn.Alphabetic === 'string' ? pn.Alphabetic : undefined;
  }
  return String(v);
}

export function numberOf(obj: DicomJsonObject, tag: string): number | undefined {
  const v = firstValue(obj, tag);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function isDicomJsonArray(value: unknown): value is DicomJsonObject[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
}

export const TAG = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  Modality: '00080060',
  SeriesDescription: '0008103E',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  KVP: '00180060',
  SliceThickness: '00180050',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  NumberOfSeriesRelatedInstances: '00201209',
} as const;
