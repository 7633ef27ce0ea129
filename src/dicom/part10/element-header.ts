/**
 * Reading one data element header (PS3.5 §7.1): tag, VR, value length, in the
 * three encodings a Part 10 dataset can have (explicit/implicit VR, little/big
 * endian). Item and delimiter tags (FFFE,xxxx) have no VR in any encoding.
 */
import { lookupAttribute } from '../dictionary.js';
import type { ByteSource } from './byte-source.js';
import { Part10Error } from './errors.js';

export interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

export interface ElementHeader {
  /** Eight upper-case hex digits. */
  tag: string;
  group: number;
  element: number;
  vr: string;
  /** Value length in bytes; UNDEFINED_LENGTH for undefined length. */
  length: number;
  /** Offset of the element's first header byte. */
  offset: number;
  valueOffset: number;
}

export const UNDEFINED_LENGTH = 0xffffffff;
export const ITEM_GROUP = 0xfffe;
export const ITEM = 0xe000;
export const ITEM_DELIMITER = 0xe00d;
export const SEQUENCE_DELIMITER = 0xe0dd;

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const KNOWN_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
  ...LONG_VRS,
]);

export function hexTag(group: number, element: number): string {
  return (group * 0x10000 + element).toString(16).toUpperCase().padStart(8, '0');
}

export function punctuated(tag: string): string {
  return `(${tag.slice(0, 4)},${tag.slice(4)})`;
}

function implicitVr(tag: string, group: number, element: number): string {
  if (element === 0) return 'UL'; // group length
  if (group === ITEM_GROUP) return '';
  const vr = lookupAttribute(tag)?.vr ?? 'UN';
  // Dictionary VRs such as "US or SS" or "ox" (OB/OW by context) are read as bytes.
  return KNOWN_VRS.has(vr) ? vr : 'OB';
}

export async function readElementHeader(src: ByteSource, offset: number, enc: Encoding): Promise<ElementHeader> {
  return parseElementHeader(await src.read(offset, 12), offset, enc);
}

/** The header from bytes already read at `offset` (at least the 12 a header can take, or what is left of the data). */
export function parseElementHeader(bytes: Buffer, offset: number, enc: Encoding): ElementHeader {
  if (bytes.length < 8) throw new Part10Error('TRUNCATED', `data ends inside an element header at offset ${offset}`, offset);
  const le = enc.littleEndian;
  const group = le ? bytes.readUInt16LE(0) : bytes.readUInt16BE(0);
  const element = le ? bytes.readUInt16LE(2) : bytes.readUInt16BE(2);
  const tag = hexTag(group, element);
  const u32 = (at: number) => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  if (group === ITEM_GROUP || !enc.explicitVr) {
    return { tag, group, element, vr: enc.explicitVr ? '' : implicitVr(tag, group, element), length: u32(4), offset, valueOffset: offset + 8 };
  }
  const vr = bytes.toString('latin1', 4, 6);
  if (!KNOWN_VRS.has(vr)) {
    throw new Part10Error('MALFORMED_ELEMENT', `element ${punctuated(tag)} at offset ${offset} has an invalid VR "${vr.replace(/[^\x20-\x7e]/g, '?')}"`, offset);
  }
  if (!LONG_VRS.has(vr)) {
    const length = le ? bytes.readUInt16LE(6) : bytes.readUInt16BE(6);
    return { tag, group, element, vr, length, offset, valueOffset: offset + 8 };
  }
  if (bytes.length < 12) throw new Part10Error('TRUNCATED', `data ends inside the header of ${punctuated(tag)}`, offset);
  return { tag, group, element, vr, length: u32(8), offset, valueOffset: offset + 12 };
}
