/**
 * The XML form of DICOMweb answers that are DICOM JSON arrays: QIDO-RS results
 * (PS3.18 §10.6.3.2) and WADO-RS metadata (§10.4.1.1.2), media type
 * `multipart/related; type="application/dicom+xml"` (§8.7.3.2, Table 8.7.3-2):
 * one part per dataset, each a Native DICOM Model document (PS3.19 A.1). Built
 * from the cached JSON answer, with a boundary derived from its ETag so that the
 * same answer gives the same bytes (and so a stable ETag for If-None-Match).
 */
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { makeAnswer, type CachedAnswer, type CacheOutcome } from '../cache/metadata-cache.js';
import { nativeDicomXml, type JsonDataset } from '../dicom/native-xml.js';
import { negotiateSimple, parseAccept, rangeMatches } from '../http/accept.js';
import { closingDelimiter, partHeader } from '../http/multipart.js';
import { sendCachedAnswer } from '../http/send-answer.js';

export const XML_PART_TYPE = 'application/dicom+xml';
export const XML_MULTIPART_TYPE = `multipart/related; type="${XML_PART_TYPE}"`;

/** The q of the best Accept range naming the XML multipart form (0 when none does). */
function xmlQuality(accept: string): number {
  const ranges = parseAccept(accept).filter((r) => r.type === 'multipart' && r.subtype === 'related' && r.params.type?.toLowerCase() === XML_PART_TYPE);
  return ranges.reduce((best, r) => Math.max(best, r.q), 0);
}

/** One of `jsonTypes` (the default), or the XML form when the client prefers or only accepts it. */
export function negotiateJsonOrXml(accept: string, jsonTypes: readonly string[]): string | undefined {
  const json = negotiateSimple(accept, jsonTypes);
  const xmlQ = xmlQuality(accept);
  if (xmlQ === 0) return json;
  const jsonQ = parseAccept(accept)
    .filter((r) => jsonTypes.some((t) => rangeMatches(r, ...(t.split('/') as [string, string]))))
    .reduce((q, r) => Math.max(q, r.q), 0);
  return xmlQ > jsonQ ? XML_MULTIPART_TYPE : json;
}

function xmlBody(items: JsonDataset[], boundary: string): Buffer {
  const parts = items.map((item, i) => Buffer.concat([partHeader(boundary, { 'Content-Type': `${XML_PART_TYPE}; charset=utf-8` }, i === 0), Buffer.from(nativeDicomXml(item), 'utf8')]));
  return Buffer.concat([...parts, closingDelimiter(boundary)]);
}

/** Sends a DICOM JSON array answer (as cached) as multipart XML; other statuses (204, errors) as they are. */
export function sendXmlAnswer(ctx: Context, json: CachedAnswer, outcome: CacheOutcome): void {
  if (json.status !== 200) return sendCachedAnswer(ctx, json, outcome, XML_MULTIPART_TYPE);
  const items = JSON.parse(json.body.toString('utf8')) as JsonDataset[];
  const boundary = `xml-${createHash('sha1').update(json.etag).digest('hex').slice(0, 24)}`;
  sendCachedAnswer(ctx, makeAnswer(200, xmlBody(items, boundary), json.headers), outcome, `${XML_MULTIPART_TYPE}; boundary=${boundary}`);
}
