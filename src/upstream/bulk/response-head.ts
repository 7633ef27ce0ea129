/**
 * The status line and header fields of an HTTP/1.1 response (RFC 9112 §4, §5),
 * and how its body is framed (§6.3), for the bulk transport (transport.ts).
 * Strict where leniency would hide a broken archive: no obs-fold, no bare LF,
 * one Content-Length value, a bounded head.
 */

/** Larger heads are refused: an archive's retrieve answer has a handful of fields. */
export const MAX_HEAD_BYTES = 64 * 1024;

export type BodyFraming = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export interface ResponseHead {
  status: number;
  /** Field names lower-cased; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
  framing: BodyFraming;
}

/** The archive's bytes are not an HTTP response. `code` is stable, for mapTransportError. */
export class MalformedResponseError extends Error {
  readonly code = 'UPSTREAM_BAD_HTTP';
  constructor(detail: string) {
    super(`malformed HTTP response from the archive: ${detail}`);
  }
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [^\r\n]*)?$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5 field-value characters (visible, space, tab, obs-text): what Node also lets a response carry. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEAD_END = Buffer.from('\r\n\r\n');

function parseFields(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) throw new MalformedResponseError(`bad header line "${line.slice(0, 40)}"`);
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new MalformedResponseError(`control character in header "${name}"`);
    if (key === 'content-length' && headers[key] !== undefined && headers[key] !== value) throw new MalformedResponseError('two different Content-Length values');
    headers[key] = headers[key] === undefined || key === 'content-length' ? value : `${headers[key]}, ${value}`;
  }
  return headers;
}

/** RFC 9112 §6.3: no body for 204/304; chunked when it is the final coding; else the length; else until close. */
function framingOf(status: number, headers: Record<string, string>): BodyFraming {
  if (status === 204 || status === 304) return { kind: 'length', length: 0 };
  const codings = headers['transfer-encoding'];
  if (codings !== undefined) return codings.split(',').at(-1)?.trim().toLowerCase() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'close' };
  if (!/^\d{1,15}$/.test(length)) throw new MalformedResponseError(`bad Content-Length "${length.slice(0, 20)}"`);
  return { kind: 'length', length: Number(length) };
}

/**
 * Parses one response head from the start of `buf`. Undefined while the head
 * is incomplete; `rest` is what follows it (body bytes, or a final response
 * after an interim 1xx one, which the caller parses again).
 */
export function parseResponseHead(buf: Buffer): { head: ResponseHead; rest: Buffer } | undefined {
  const end = buf.indexOf(HEAD_END);
  if (end === -1) {
    if (buf.length > MAX_HEAD_BYTES) throw new MalformedResponseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  if (end > MAX_HEAD_BYTES) throw new MalformedResponseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
  const text = buf.toString('latin1', 0, end);
  if (/\r(?!\n)|(?<!\r)\n/.test(text)) throw new MalformedResponseError('a line not ended by CRLF');
  const [statusLine = '', ...lines] = text.split('\r\n');
  const match = STATUS_LINE.exec(statusLine);
  if (!match) throw new MalformedResponseError(`status line "${statusLine.slice(0, 40)}"`);
  if (lines.some((l) => l.startsWith(' ') || l.startsWith('\t'))) throw new MalformedResponseError('folded header line');
  const status = Number(match[1]);
  const headers = parseFields(lines);
  return { head: { status, headers, framing: framingOf(status, headers) }, rest: buf.subarray(end + HEAD_END.length) };
}
