/**
 * Accept header parsing and negotiation (RFC 9110 §12.5.1), parameter-aware,
 * because DICOMweb media types carry meaning in parameters
 * (`multipart/related; type="application/dicom"; transfer-syntax=*`, PS3.18 §8.7.3).
 */
export interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

/** Parses one media type with parameters; returns undefined if it is not type/subtype. */
export function parseMediaType(text: string): Omit<MediaRange, 'q'> | undefined {
  const [essence = '', ...rawParams] = splitOutsideQuotes(text, ';');
  const match = /^\s*([\w!#$&^.+*-]+)\/([\w!#$&^.+*-]+)\s*$/.exec(essence);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    params[raw.slice(0, eq).trim().toLowerCase()] = unquote(raw.slice(eq + 1));
  }
  return { type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), params };
}

/** Parses an Accept header into ranges sorted by q (stable). Absent header = any. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*', subtype: '*', params: {}, q: 1 }];
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(header, ',')) {
    const media = parseMediaType(part);
    if (!media) continue;
    const { q: qText, ...params } = media.params;
    const q = qText === undefined ? 1 : Number(qText);
    if (!Number.isFinite(q) || q <= 0) continue;
    ranges.push({ ...media, params, q: Math.min(q, 1) });
  }
  return ranges.sort((a, b) => b.q - a.q);
}

export function rangeMatches(range: MediaRange, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}

/**
 * Picks the first offered type (in server preference order) among the client's
 * best-q ranges that match it; undefined means 406.
 */
export function negotiateSimple(header: string | undefined, offered: readonly string[]): string | undefined {
  const ranges = parseAccept(header);
  let best: { type: string; q: number } | undefined;
  for (const candidate of offered) {
    const [type = '', subtype = ''] = candidate.split('/');
    // Ranges are sorted by q, so the first match is this candidate's best quality.
    const range = ranges.find((r) => rangeMatches(r, type, subtype));
    if (range && (!best || range.q > best.q)) best = { type: candidate, q: range.q };
  }
  return best?.type;
}
