/**
 * The Store Instances Response Module (PS3.18 Annex I, Table I.1-1) in DICOM
 * JSON (PS3.18 Annex F), and the HTTP status of the answer (PS3.18 §10.5.3.1,
 * Table 10.5.3-1): 200 all stored, 202 some stored or warnings, 409 none stored.
 * RetrieveURLs are the gateway's, never the archive's.
 */
import type { InstanceOutcome, InstanceRef, ReasonDetail, RequestFailure } from './outcome.js';

export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
}
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

export interface StoreSummary {
  outcomes: readonly InstanceOutcome[];
  /** The request itself went wrong after some instances were stored (Other Failures Sequence). */
  requestFailure?: RequestFailure;
  dryRun: boolean;
  /** The gateway's public DICOMweb root. */
  baseUrl: string;
  urlStudy?: string;
  /** Names items in comments: "Part n" of a Part 10 request, "Dataset n" of a metadata request. */
  form: 'dicom' | 'json';
}

export type StoreVerdict = { status: 200 | 202 | 409 } | { status: 503; reason: string } | { status: 400; reason: string };

const attr = (vr: string, value?: unknown): DicomJsonAttribute => (value === undefined || value === '' ? { vr } : { vr, Value: [value] });

export function storeVerdict(summary: StoreSummary): StoreVerdict {
  const stored = summary.outcomes.filter((o) => o.kind === 'stored');
  const failed = summary.outcomes.filter((o) => o.kind === 'failed');
  if (stored.length > 0) {
    const clean = failed.length === 0 && !summary.requestFailure && stored.every((o) => !o.warning);
    return { status: clean ? 200 : 202 };
  }
  if (failed.length === 0) return { status: 400, reason: 'The request holds no instance.' };
  const unavailable = failed.filter((o) => o.failure.retryable);
  if (unavailable.length === failed.length) return { status: 503, reason: unavailable[0]!.failure.comment };
  return { status: 409 };
}

function instanceUrl(base: string, ref: InstanceRef): string | undefined {
  if (!ref.studyUid || !ref.seriesUid || !ref.sopInstanceUid) return undefined;
  return `${base}/studies/${ref.studyUid}/series/${ref.seriesUid}/instances/${ref.sopInstanceUid}`;
}

function comment(summary: StoreSummary, ref: InstanceRef, detail: ReasonDetail): string {
  return `${summary.form === 'json' ? 'Dataset' : 'Part'} ${ref.part}: ${detail.comment}`;
}

function failedItem(summary: StoreSummary, ref: InstanceRef, failure: ReasonDetail): DicomJsonDataset {
  return {
    '00000902': attr('LO', comment(summary, ref, failure)),
    '00081150': attr('UI', ref.sopClassUid),
    '00081155': attr('UI', ref.sopInstanceUid),
    '00081197': attr('US', failure.code),
  };
}

function referencedItem(summary: StoreSummary, ref: InstanceRef, warning: ReasonDetail | undefined): DicomJsonDataset {
  const item: DicomJsonDataset = {};
  if (warning) item['00000902'] = attr('LO', comment(summary, ref, warning));
  item['00081150'] = attr('UI', ref.sopClassUid);
  item['00081155'] = attr('UI', ref.sopInstanceUid);
  // Type 2: empty in a dry run, where nothing is retrievable.
  item['00081190'] = attr('UR', summary.dryRun ? undefined : instanceUrl(summary.baseUrl, ref));
  if (warning) item['00081196'] = attr('US', warning.code);
  return item;
}

/** The study the response's top-level RetrieveURL names: the URL's, else the one study of all stored instances. */
function studyUrl(summary: StoreSummary): string | undefined {
  if (summary.dryRun) return undefined;
  const studies = new Set(summary.outcomes.filter((o) => o.kind === 'stored').map((o) => o.ref.studyUid));
  const study = summary.urlStudy ?? (studies.size === 1 ? [...studies][0] : undefined);
  return study ? `${summary.baseUrl}/studies/${study}` : undefined;
}

export function storeResponseDataset(summary: StoreSummary): DicomJsonDataset {
  const failed: DicomJsonDataset[] = [];
  const referenced: DicomJsonDataset[] = [];
  for (const o of summary.outcomes) {
    if (o.kind === 'failed') failed.push(failedItem(summary, o.ref, o.failure));
    else referenced.push(referencedItem(summary, o.ref, o.warning));
  }
  const out: DicomJsonDataset = { '00081190': attr('UR', studyUrl(summary)) };
  if (failed.length > 0) out['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) out['00081199'] = { vr: 'SQ', Value: referenced };
  if (summary.requestFailure) {
    const { code, comment: text } = summary.requestFailure;
    out['0008119A'] = { vr: 'SQ', Value: [{ '00000902': attr('LO', text), '00081197': attr('US', code) }] };
  }
  return out;
}
