/**
 * Accept negotiation for WADO-RS retrieval (PS3.18 §8.7.3, §10.4.1.2):
 * which media type and transfer syntax to answer with, from the client's Accept.
 * Kept apart from the handlers so every retrieve resource negotiates alike.
 */
import { parseAccept, type MediaRange } from './accept.js';
import { NotAcceptableError } from './errors.js';
import { EXPLICIT_VR_LE, transferSyntax } from '../dicom/transfer-syntax.js';

export type RetrieveKind = 'instances' | 'frames' | 'bulkdata';

export interface RetrieveChoice {
  /** multipart/related with parts of `partType`, or a single part of that type. */
  multipart: boolean;
  partType: string;
  /** A transfer syntax UID, or '*' for "as stored". */
  transferSyntax: string;
}

/** Part media types each kind can carry (PS3.18 Table 8.7.3-2/-3/-4). */
const PART_TYPES: Record<RetrieveKind, readonly string[]> = {
  instances: ['application/dicom'],
  frames: ['application/octet-stream', 'image/jpeg', 'image/jls', 'image/jp2', 'image/jpx', 'image/jphc', 'image/dicom-rle'],
  bulkdata: ['application/octet-stream'],
};

/** Kinds that may be answered single-part (one frame, one bulk data value). */
const SINGLE_PART: Record<RetrieveKind, boolean> = { instances: false, frames: true, bulkdata: true };

export function supportedMediaTypes(kind: RetrieveKind): string[] {
  const multipart = PART_TYPES[kind].map((t) => `multipart/related; type="${t}"`);
  return SINGLE_PART[kind] ? [...multipart, PART_TYPES[kind][0]!] : multipart;
}

function transferSyntaxFor(range: MediaRange, partType: string): string | undefined {
  const ts = range.params['transfer-syntax'];
  if (ts === undefined) return partType === 'application/dicom' || partType === 'application/octet-stream' ? EXPLICIT_VR_LE : '*';
  if (ts === '*') return '*';
  const info = transferSyntax(ts);
  if (!info) return undefined;
  // A compressed part type must name a transfer syntax of that compression.
  if (partType !== 'application/dicom' && partType !== 'application/octet-stream' && info.frameMediaType !== partType) return undefined;
  return ts;
}

function choose(range: MediaRange, kind: RetrieveKind): RetrieveChoice | undefined {
  const essence = `${range.type}/${range.subtype}`;
  const defaultPart = PART_TYPES[kind][0]!;
  if (essence === '*/*' || essence === 'multipart/*') return { multipart: true, partType: defaultPart, transferSyntax: EXPLICIT_VR_LE };
  if (essence === 'multipart/related') {
    const partType = (range.params.type ?? defaultPart).toLowerCase();
    if (!PART_TYPES[kind].includes(partType)) return undefined;
    const ts = transferSyntaxFor(range, partType);
    return ts ? { multipart: true, partType, transferSyntax: ts } : undefined;
  }
  if (SINGLE_PART[kind] && PART_TYPES[kind].includes(essence)) {
    const ts = transferSyntaxFor(range, essence);
    return ts ? { multipart: false, partType: essence, transferSyntax: ts } : undefined;
  }
  return undefined;
}

/** The best acceptable choice, in the client's q order; 406 listing what is supported otherwise. */
export function negotiateRetrieve(accept: string | undefined, kind: RetrieveKind): RetrieveChoice {
  for (const range of parseAccept(accept)) {
    const choice = choose(range, kind);
    if (choice) return choice;
  }
  const supported = supportedMediaTypes(kind);
  throw new NotAcceptableError(`None of the media types in Accept "${accept ?? ''}" can be served for this resource. Supported: ${supported.join(', ')} (with an optional transfer-syntax parameter).`, supported);
}

/** The Content-Type of a multipart answer (PS3.18 §8.7.3.5.1). */
export function multipartContentType(partType: string, boundary: string, ts?: string): string {
  const tsParam = ts && ts !== '*' ? `; transfer-syntax=${ts}` : '';
  return `multipart/related; type="${partType}"; boundary=${boundary}${tsParam}`;
}
