// STOW-RS request bodies with fresh UIDs: one generated 512x512 CT instance is
// the template, and every copy gets its own SOPInstanceUID (and the round its
// own Study/SeriesInstanceUID) by replacing the UID strings in place with ones
// of the same length, so no element length changes. Cheap enough to build 1 GB
// of distinct instances on the fly.
import { randomInt } from 'node:crypto';
import type { GeneratedInstance } from '../scripts/fixtures/generate.js';
import { generateSeries } from './lib/dicom-data.js';

/** Even, so no padding byte; within the 64-character UI limit. */
const UID_LENGTH = 44;
const RUN_TAG = `${Date.now()}${randomInt(1000, 9999)}`;

/** "2.25.1<tag><kind><n>" zero-padded to exactly `length` characters. */
function uidOfLength(length: number, kind: number, n: number): string {
  const digits = `1${RUN_TAG}${kind}`;
  const counter = String(n).padStart(length - 5 - digits.length, '0');
  const uid = `2.25.${digits}${counter}`;
  if (uid.length !== length) throw new Error(`UID ${uid} is not ${length} characters`);
  return uid;
}

export interface Template {
  instance: GeneratedInstance;
}

export function makeTemplate(): Template {
  const [instance] = generateSeries({
    instances: 1, rows: 512, columns: 512, description: 'stow template',
    studyInstanceUid: uidOfLength(UID_LENGTH, 1, 0), seriesInstanceUid: uidOfLength(UID_LENGTH, 2, 0),
  });
  return { instance: instance! };
}

function replaceAll(buf: Buffer, from: string, to: string): void {
  const needle = Buffer.from(from, 'latin1');
  const replacement = Buffer.from(to, 'latin1');
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + needle.length)) replacement.copy(buf, at);
}

let copies = 0;

/** A copy of the template in study/series `group` with a never-used SOPInstanceUID. */
export function freshInstance(t: Template, group: number): Buffer {
  const buf = Buffer.from(t.instance.part10);
  copies++;
  replaceAll(buf, t.instance.sopInstanceUid, uidOfLength(t.instance.sopInstanceUid.length, 3, copies));
  replaceAll(buf, t.instance.studyInstanceUid, uidOfLength(UID_LENGTH, 1, group));
  replaceAll(buf, t.instance.seriesInstanceUid, uidOfLength(UID_LENGTH, 2, group));
  return buf;
}

export const BOUNDARY = 'bench-stow-boundary-7f3a9c';
export const STOW_CONTENT_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;
const PART_HEADER = Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
const PART_END = Buffer.from('\r\n');
const CLOSE = Buffer.from(`--${BOUNDARY}--\r\n`);

/** One multipart/related body holding `count` fresh instances. */
export function multipartBody(t: Template, group: number, count: number): Buffer {
  const chunks: Buffer[] = [];
  for (let k = 0; k < count; k++) chunks.push(PART_HEADER, freshInstance(t, group), PART_END);
  chunks.push(CLOSE);
  return Buffer.concat(chunks);
}

/** A streamed body of fresh instances until at least `totalBytes`, built as it is sent. */
export async function* streamedBody(t: Template, group: number, totalBytes: number): AsyncGenerator<Buffer> {
  let sent = 0;
  while (sent < totalBytes) {
    const part = freshInstance(t, group);
    yield PART_HEADER;
    yield part;
    yield PART_END;
    sent += PART_HEADER.length + part.length + PART_END.length;
  }
  yield CLOSE;
}
