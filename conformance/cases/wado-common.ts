/**
 * Helpers shared by the WADO-RS (PS3.18 §10.4) case tables: multipart answers,
 * the fixture instances they are compared with, and their pixel data.
 */
import { check, describe, expectStatus } from '../assert.js';
import { fixtureInstances } from '../fixtures.js';
import type { HttpAnswer } from '../http.js';
import { parseMediaType, parseMultipart, type BodyPart } from '../multipart.js';
import type { CaseContext } from '../types.js';

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const ACCEPT_DICOM_AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
export const ACCEPT_OCTETS_AS_STORED = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
/** 16×16 pixels of 16 bits (every fixture image). */
export const FRAME_BYTES = 16 * 16 * 2;

export function instancePath(study: string, series: string, instance: string): string {
  return `/studies/${study}/series/${series}/instances/${instance}`;
}

/** A 200 multipart/related answer whose root type is `type`, split into its parts. */
export function multipartParts(res: HttpAnswer, type: string): BodyPart[] {
  expectStatus(res, 200);
  const media = parseMediaType(res.headers['content-type']);
  check(media.type === 'multipart/related', `expected multipart/related, got ${describe(res)}`);
  const root = parseMediaType(media.params['type']).type;
  check(root === type, `expected type="${type}" on multipart/related, got Content-Type "${res.headers['content-type'] ?? ''}"`);
  const boundary = media.params['boundary'];
  check(boundary, `multipart/related answer without a boundary: "${res.headers['content-type'] ?? ''}"`);
  return parseMultipart(res.body, boundary);
}

/** Every part has media type `type` (its Content-Type header, or the root type when absent). */
export function expectPartTypes(parts: readonly BodyPart[], type: string): void {
  parts.forEach((p, i) => {
    const got = parseMediaType(p.headers['content-type'] ?? type).type;
    check(got === type, `part ${i + 1}: Content-Type "${p.headers['content-type'] ?? ''}", expected ${type}`);
  });
}

export async function getParts(ctx: CaseContext, path: string, accept: string, type: string): Promise<BodyPart[]> {
  return multipartParts(await ctx.get(path, { accept }), type);
}

/** The Part 10 bytes the fixtures were stored with. */
export function storedBytes(sopInstanceUid: string): Buffer {
  const found = fixtureInstances().find((i) => i.sopInstanceUid === sopInstanceUid);
  if (!found) throw new Error(`no fixture instance ${sopInstanceUid}`);
  return found.part10;
}

/**
 * Frame `n` (1-based) of a fixture instance: the fixtures end with native
 * Pixel Data, frames one after the other, so frame n sits at a fixed distance
 * from the end of the file.
 */
export function fixtureFrame(sopInstanceUid: string, n: number, frames: number): Buffer {
  const file = storedBytes(sopInstanceUid);
  const start = file.length - (frames - n + 1) * FRAME_BYTES;
  return file.subarray(start, start + FRAME_BYTES);
}
