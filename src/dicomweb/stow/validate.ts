/**
 * Validation of one instance before the archive sees it (PS3.18 §10.5.2: stored
 * instances "shall fully conform to the IOD and encoding requirements"; the
 * gateway checks what it can cheaply and safely): a parseable Part 10 file
 * (PS3.10 §7), a known Transfer Syntax, the identifying UIDs present and
 * syntactically valid (PS3.5 §9.1), File Meta and dataset agreeing, the Study
 * of the URL, the policy's required attributes, and consistent Pixel Data.
 */
import { Part10Error, stringValue, type Part10Index } from '../../dicom/part10/index.js';
import { lookupAttribute } from '../../dicom/dictionary.js';
import { transferSyntax } from '../../dicom/transfer-syntax.js';
import { isSafeUidSegment, isValidUid } from '../../dicom/uid.js';
import { InstanceFailure, type InstanceRef, type ReasonDetail } from './outcome.js';
import { checkPixelData } from './pixel-check.js';
import { FailureReason, WarningReason } from './reasons.js';
import { NOT_STORABLE } from './sop-classes.js';

export interface InstanceFacts {
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  transferSyntaxUid: string;
  /** Size of the Part 10 file in bytes. */
  size: number;
}

export interface ValidationContext {
  /** The {study} of POST /studies/{study}, if any. */
  urlStudy?: string;
  /** Extra attribute keywords that must carry a value (policy). */
  requiredAttributes: readonly string[];
}

const REQUIRED_UIDS = [
  ['SOPClassUID', '(0008,0016)'],
  ['SOPInstanceUID', '(0008,0018)'],
  ['StudyInstanceUID', '(0020,000D)'],
  ['SeriesInstanceUID', '(0020,000E)'],
] as const;

/** Prefixes for walker messages that do not say by themselves what is wrong. */
const PART10_PREFIXES: Record<string, string> = {
  MALFORMED_ELEMENT: 'Malformed data element: ',
  TRUNCATED: 'The file is truncated: ',
  TOO_DEEP: 'Unreadable dataset: ',
};

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A walker error becomes "cannot understand" (0xC000) with the walker's explanation. */
export function failureFromWalk(err: unknown, head: Buffer | undefined): InstanceFailure | undefined {
  if (!(err instanceof Part10Error)) return undefined;
  if (err.code === 'NOT_PART10' && head && head[0] === 0x1f && head[1] === 0x8b) {
    return new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, 'Not a DICOM Part 10 file: the bytes are gzip-compressed; send the decompressed file');
  }
  const prefix = PART10_PREFIXES[err.code];
  return new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, prefix ? prefix + err.message : capitalized(err.message));
}

/**
 * PS3.5 §9.1 syntax. Components with a leading zero (e.g. "083000") break the
 * rule but are common in real archives and harmless: accepted with a warning.
 */
function uidValue(index: Part10Index, keyword: string, tag: string, warnings: ReasonDetail[]): string {
  const value = stringValue(index, keyword);
  if (value === undefined || value === '') throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, `${keyword} ${tag} is missing`);
  if (!isSafeUidSegment(value)) throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, `${keyword} ${tag} "${value.slice(0, 70)}" is not a valid UID (PS3.5 §9.1)`);
  if (!isValidUid(value)) warnings.push({ code: WarningReason.DATASET_DOES_NOT_MATCH, comment: `${keyword} ${tag} "${value}" has a component with a leading zero (PS3.5 §9.1)` });
  return value;
}

/** What could be read before a failure, so the Failed SOP Sequence item names the instance. */
export function refFromIndex(part: number, index: Part10Index | undefined): InstanceRef {
  const ref: InstanceRef = { part };
  if (!index) return ref;
  const pick = (keyword: string) => {
    const v = stringValue(index, keyword);
    return v && isSafeUidSegment(v) ? v : undefined;
  };
  const sopClassUid = pick('SOPClassUID') ?? pick('MediaStorageSOPClassUID');
  const sopInstanceUid = pick('SOPInstanceUID') ?? pick('MediaStorageSOPInstanceUID');
  const studyUid = pick('StudyInstanceUID');
  const seriesUid = pick('SeriesInstanceUID');
  return { part, ...(sopClassUid && { sopClassUid }), ...(sopInstanceUid && { sopInstanceUid }), ...(studyUid && { studyUid }), ...(seriesUid && { seriesUid }) };
}

/**
 * File Meta (PS3.10 §7.1) and dataset must name the same SOP Class; a differing
 * Media Storage SOP Instance UID is seen in real files and only warned about.
 */
function checkMetaAgrees(index: Part10Index, sopClassUid: string, sopInstanceUid: string, warnings: ReasonDetail[]): void {
  const metaClass = stringValue(index, 'MediaStorageSOPClassUID');
  if (metaClass === undefined || metaClass === '') throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, 'File Meta has no MediaStorageSOPClassUID (0002,0002)');
  if (metaClass !== sopClassUid) {
    throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, `File Meta MediaStorageSOPClassUID ${metaClass.slice(0, 64)} differs from SOPClassUID (0008,0016) ${sopClassUid}`);
  }
  const metaInstance = stringValue(index, 'MediaStorageSOPInstanceUID');
  if (metaInstance !== sopInstanceUid) {
    warnings.push({ code: WarningReason.DATASET_DOES_NOT_MATCH, comment: `File Meta MediaStorageSOPInstanceUID (0002,0003) "${(metaInstance ?? '').slice(0, 64)}" differs from SOPInstanceUID (0008,0018)` });
  }
}

function checkRequiredAttributes(index: Part10Index, keywords: readonly string[]): void {
  for (const keyword of keywords) {
    const info = lookupAttribute(keyword);
    const element = info ? index.elements.get(info.tag) : undefined;
    if (!element || element.length === 0) {
      const tag = info ? ` (${info.tag.slice(0, 4)},${info.tag.slice(4)})` : '';
      throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, `${keyword}${tag} is missing or empty; this route requires it`);
    }
  }
}

/** A Media Storage Directory (DICOMDIR) or similar: refused before looking for dataset UIDs it never has. */
function checkStorable(index: Part10Index): void {
  const sopClass = stringValue(index, 'SOPClassUID') ?? stringValue(index, 'MediaStorageSOPClassUID') ?? '';
  const notStorable = NOT_STORABLE.get(sopClass);
  if (notStorable) throw new InstanceFailure(FailureReason.SOP_CLASS_NOT_SUPPORTED, `SOP Class ${sopClass}: ${notStorable}`);
}

/** Validates an indexed instance; returns its facts and the first warning, or throws InstanceFailure. */
export function validateInstance(index: Part10Index, ctx: ValidationContext): { facts: InstanceFacts; warning?: ReasonDetail } {
  const ts = index.transferSyntaxUid;
  if (!isSafeUidSegment(ts)) throw new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, `TransferSyntaxUID (0002,0010) "${ts.slice(0, 70)}" is not a valid UID`);
  if (!transferSyntax(ts)) throw new InstanceFailure(FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED, `Transfer Syntax ${ts} is not supported`);
  checkStorable(index);
  const warnings: ReasonDetail[] = [];
  const [sopClassUid, sopInstanceUid, studyUid, seriesUid] = REQUIRED_UIDS.map(([k, tag]) => uidValue(index, k, tag, warnings)) as [string, string, string, string];
  checkMetaAgrees(index, sopClassUid, sopInstanceUid, warnings);
  if (ctx.urlStudy !== undefined && studyUid !== ctx.urlStudy) {
    throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, `StudyInstanceUID (0020,000D) ${studyUid} differs from the study in the URL`);
  }
  checkRequiredAttributes(index, ctx.requiredAttributes);
  const pixelWarning = checkPixelData(index);
  if (pixelWarning) warnings.push(pixelWarning);
  const facts: InstanceFacts = { sopClassUid, sopInstanceUid, studyUid, seriesUid, transferSyntaxUid: ts, size: index.size };
  return warnings[0] ? { facts, warning: warnings[0] } : { facts };
}
