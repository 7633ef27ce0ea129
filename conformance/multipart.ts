/**
 * Reading multipart/related answers (RFC 2387, PS3.18 §8.6.1.2) and media type
 * parameters, for the WADO-RS cases. Kept apart from `src/` on purpose: the
 * suite is a black-box test and must not share the gateway's parser.
 */

export interface MediaType {
  /** Lower-case `type/subtype`. */
  type: string;
  /** Lower-case parameter names; quoted values unquoted. */
  params: Record<string, string>;
}

/** Splits at `sep` outside double-quoted strings. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted) {
      current += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

export function parseMediaType(header: string | undefined): MediaType {
  const [head = '', ...rest] = splitOutsideQuotes(header ?? '', ';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = unquote(p.slice(eq + 1));
  }
  return { type: head.trim().toLowerCase(), params };
}

export interface BodyPart {
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The parts of a multipart body; throws a readable Error when it is malformed. */
export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error(`multipart body has no delimiter --${boundary}`);
  const parts: BodyPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw new Error(`part ${parts.length + 1} has no end of headers`);
    const end = body.indexOf(next, headerEnd + 4);
    if (end < 0) throw new Error(`part ${parts.length + 1} is not closed by a delimiter (truncated body?)`);
    parts.push({ headers: parseHeaders(body.subarray(at, headerEnd).toString('latin1')), body: body.subarray(headerEnd + 4, end) });
    at = end + 2;
  }
}
