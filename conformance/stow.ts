/**
 * Stores the fixtures into a target with STOW-RS (PS3.18 §10.5):
 * `POST {base}/studies` with a `multipart/related; type="application/dicom"`
 * body (RFC 2387), one request per study.
 */
import { randomBytes } from 'node:crypto';
import type { GeneratedInstance } from '../scripts/fixtures/generate.js';
import type { HttpAnswer, HttpClient } from './http.js';

export interface MultipartBody {
  contentType: string;
  body: Buffer;
}

const CRLF = '\r\n';

function freshBoundary(parts: readonly Buffer[]): string {
  for (;;) {
    const boundary = `conformance-${randomBytes(12).toString('hex')}`;
    const marker = Buffer.from(`--${boundary}`);
    if (!parts.some((p) => p.includes(marker))) return boundary;
  }
}

/** A multipart/related body whose parts all have media type `partType`. */
export function multipartRelated(parts: readonly Buffer[], partType = 'application/dicom'): MultipartBody {
  const boundary = freshBoundary(parts);
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}${CRLF}Content-Type: ${partType}${CRLF}Content-Length: ${part.length}${CRLF}${CRLF}`), part, Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { contentType: `multipart/related; type="${partType}"; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

export interface StowOutcome {
  studyUid: string;
  sent: number;
  status: number;
  /** Items of Referenced SOP Sequence (0008,1199) / Failed SOP Sequence (0008,1198) in the answer. */
  referenced: number;
  failed: number;
  ok: boolean;
  detail: string;
}

function sequenceLength(json: unknown, tag: string): number {
  const value = (json as Record<string, { Value?: unknown[] } | undefined> | null)?.[tag]?.Value;
  return Array.isArray(value) ? value.length : 0;
}

function outcomeOf(studyUid: string, sent: number, res: HttpAnswer): StowOutcome {
  let json: unknown;
  try {
    json = res.json();
  } catch {
    json = undefined;
  }
  const referenced = sequenceLength(json, '00081199');
  const failed = sequenceLength(json, '00081198');
  // 200: all stored; 202: stored with warnings or some failed (PS3.18 §10.5.3).
  const ok = (res.status === 200 || res.status === 202) && failed === 0;
  const body = res.text().replace(/\s+/g, ' ').slice(0, 160);
  const detail = ok ? `HTTP ${res.status}, ${referenced || sent} stored` : `HTTP ${res.status}${failed ? `, ${failed} of ${sent} failed` : ''}: ${body}`;
  return { studyUid, sent, status: res.status, referenced, failed, ok, detail };
}

/** Sends each study's instances in one STOW-RS request; never throws on HTTP errors. */
export async function storeInstances(client: HttpClient, baseUrl: string, instances: readonly GeneratedInstance[]): Promise<StowOutcome[]> {
  const byStudy = new Map<string, Buffer[]>();
  for (const i of instances) byStudy.set(i.studyInstanceUid, [...(byStudy.get(i.studyInstanceUid) ?? []), i.part10]);
  const outcomes: StowOutcome[] = [];
  for (const [studyUid, parts] of byStudy) {
    const { contentType, body } = multipartRelated(parts);
    const res = await client.send(`${baseUrl}/studies`, {
      method: 'POST',
      headers: { 'content-type': contentType, accept: 'application/dicom+json' },
      body,
    });
    outcomes.push(outcomeOf(studyUid, parts.length, res));
  }
  return outcomes;
}
