/**
 * Which representation of the frames to send (PS3.18 §8.7.3.3, §8.7.8), given
 * the client's Accept and the stored transfer syntax. Every acceptable media
 * range is considered in the client's order, so that `image/jpeg, application/
 * octet-stream;q=0.5` gets stored JPEG frames as they are, and only what cannot
 * be served without transcoding falls to the next choice.
 */
import { LRUCache } from 'lru-cache';
import { parseAccept } from '../../../http/accept.js';
import { NotAcceptableError } from '../../../http/errors.js';
import { negotiateRetrieve, supportedMediaTypes, type RetrieveChoice } from '../../../http/retrieve-negotiation.js';
import { EXPLICIT_VR_LE, transferSyntax } from '../../../dicom/transfer-syntax.js';

export const OCTET_STREAM = 'application/octet-stream';

/** Viewers send the same few Accept headers for every frame: their parse is kept. */
const parsedAccepts = new LRUCache<string, readonly RetrieveChoice[]>({ max: 256 });

/** Each acceptable range of the Accept header as a retrieve choice, in the client's order. */
export function frameChoices(accept: string | undefined): readonly RetrieveChoice[] {
  const key = accept ?? '';
  const known = parsedAccepts.get(key);
  if (known) return known;
  const choices = parseChoices(accept);
  if (key.length <= 1024) parsedAccepts.set(key, choices);
  return choices;
}

function parseChoices(accept: string | undefined): readonly RetrieveChoice[] {
  const choices: RetrieveChoice[] = [];
  for (const range of parseAccept(accept)) {
    const params = Object.entries(range.params).map(([k, v]) => `; ${k}="${v.replace(/["\\]/g, '\\$&')}"`).join('');
    try {
      choices.push(negotiateRetrieve(`${range.type}/${range.subtype}${params}`, 'frames'));
    } catch {
      // not servable for frames; the next range may be
    }
  }
  if (choices.length === 0) negotiateRetrieve(accept, 'frames'); // throws the 406 that lists what is supported
  return choices;
}

/** How stored frames go out: as stored from disk, or decoded to native (by the gateway's codecs, else the upstream). */
export type FramePlan =
  | { source: 'stored'; multipart: boolean; partType: string; transferSyntax: string }
  | { source: 'decode'; multipart: boolean };

/** The transfer syntax a native frame is labelled with: its bytes are always sent little endian. */
export function storedFrameSyntax(storedTs: string, encapsulated: boolean): string {
  return encapsulated ? storedTs : EXPLICIT_VR_LE;
}

function planOne(choice: RetrieveChoice, storedTs: string, encapsulated: boolean): FramePlan | undefined {
  const label = storedFrameSyntax(storedTs, encapsulated);
  const asStored = { source: 'stored' as const, multipart: choice.multipart, transferSyntax: label };
  if (choice.partType === OCTET_STREAM) {
    if (choice.transferSyntax === '*' || choice.transferSyntax === label) return { ...asStored, partType: OCTET_STREAM };
    // Uncompressed frames of compressed data (PS3.18 §8.7.3.3.1 default): decoded, see service.ts.
    if (choice.transferSyntax === EXPLICIT_VR_LE) return { source: 'decode', multipart: choice.multipart };
    return undefined;
  }
  if (!encapsulated) return undefined;
  const sameCodec = transferSyntax(storedTs)?.frameMediaType === choice.partType;
  if (sameCodec && (choice.transferSyntax === '*' || choice.transferSyntax === storedTs)) return { ...asStored, partType: choice.partType };
  // Transcoding between codecs is not offered: the test upstream crashes on several such paths.
  return undefined;
}

/** The first choice that can be served for this instance; 406 naming the stored syntax otherwise. */
export function planFrames(choices: readonly RetrieveChoice[], storedTs: string, encapsulated: boolean, frameCount: number): FramePlan {
  for (const choice of choices) {
    if (!choice.multipart && frameCount > 1) continue; // single part: one frame only (PS3.18 §8.7.3.3)
    const plan = planOne(choice, storedTs, encapsulated);
    if (plan) return plan;
  }
  const stored = transferSyntax(storedTs);
  const asStored = encapsulated ? `${stored?.frameMediaType ?? OCTET_STREAM}; transfer-syntax=${storedTs}` : `${OCTET_STREAM}; transfer-syntax=${EXPLICIT_VR_LE}`;
  const single = frameCount > 1 ? ' A single-part answer can carry one frame only.' : '';
  throw new NotAcceptableError(
    `The frames of this instance are stored as ${stored?.name ?? storedTs} and cannot be converted to what Accept asks for.${single} Ask for multipart/related; type="${OCTET_STREAM}"; transfer-syntax=* (as stored) or for ${asStored}.`,
    supportedMediaTypes('frames'),
  );
}

/** The choice the upstream can be asked directly before the stored syntax is known, if any. */
export function passThroughChoice(choices: readonly RetrieveChoice[]): RetrieveChoice | undefined {
  const first = choices[0];
  if (!first || first.partType !== OCTET_STREAM) return undefined;
  return first.transferSyntax === '*' || first.transferSyntax === EXPLICIT_VR_LE ? first : undefined;
}
