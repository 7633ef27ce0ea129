/**
 * Attribute lookup by keyword or tag, backed by dcmjs' data dictionary (PS3.6).
 * QIDO keys may be keywords (`PatientName`) or 8-hex tags (`00100010`), and
 * dotted paths into sequences (PS3.18 §8.3.4.1).
 */
import dcmjs from 'dcmjs';

export interface AttributeInfo {
  /** Eight upper-case hex digits, as DICOM JSON keys are written (PS3.18 F.2). */
  tag: string;
  keyword: string;
  vr: string;
}

const byKeyword = new Map<string, AttributeInfo>();
const byTag = new Map<string, AttributeInfo>();

function buildIndexes(): void {
  for (const [keyword, entry] of Object.entries(dcmjs.data.DicomMetaDictionary.nameMap)) {
    const tag = entry.tag.replace(/[(),]/g, '').toUpperCase();
    // Repeating groups (e.g. 60xx) and private entries have no single tag; skip them.
    if (!/^[0-9A-F]{8}$/.test(tag)) continue;
    const info: AttributeInfo = { tag, keyword, vr: entry.vr };
    byKeyword.set(keyword, info);
    if (!byTag.has(tag)) byTag.set(tag, info);
  }
}
buildIndexes();

/** Resolves a keyword or tag; private or unknown tags in hex form resolve with VR 'UN'. */
export function lookupAttribute(key: string): AttributeInfo | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) {
    const tag = key.toUpperCase();
    return byTag.get(tag) ?? (isPrivateTag(tag) ? { tag, keyword: tag, vr: 'UN' } : undefined);
  }
  return byKeyword.get(key);
}

export function isPrivateTag(tag: string): boolean {
  return parseInt(tag.slice(0, 4), 16) % 2 === 1;
}

/** Resolves a dotted path; undefined if any element is unknown. */
export function lookupPath(path: string): AttributeInfo[] | undefined {
  const parts = path.split('.');
  const out: AttributeInfo[] = [];
  for (const part of parts) {
    const info = lookupAttribute(part);
    if (!info) return undefined;
    out.push(info);
  }
  // Every element but the last must be a sequence.
  return out.slice(0, -1).every((a) => a.vr === 'SQ') ? out : undefined;
}

export function tagOf(keyword: string): string {
  const info = byKeyword.get(keyword);
  if (!info) throw new Error(`unknown DICOM keyword ${keyword}`);
  return info.tag;
}
