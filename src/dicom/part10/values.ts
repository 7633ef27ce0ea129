/**
 * Decoding of small element values (PS3.5 §6.2) for validation and indexing:
 * text VRs as strings split on backslash, binary numbers as numbers.
 * Text is decoded as UTF-8 regardless of Specific Character Set: good for
 * UIDs, codes and numbers, not for display of names in legacy character sets.
 */
const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'PN', 'SH', 'TM', 'UC', 'UI']);
const SINGLE_TEXT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);
const NUMBER_SIZES: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 };

/** Values larger than this are not decoded (they are located, not read). */
export const MAX_DECODED_BYTES = 4096;

function readNumber(buf: Buffer, vr: string, at: number, le: boolean): number {
  switch (vr) {
    case 'US': return le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    case 'SS': return le ? buf.readInt16LE(at) : buf.readInt16BE(at);
    case 'UL': return le ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    case 'SL': return le ? buf.readInt32LE(at) : buf.readInt32BE(at);
    case 'FL': return le ? buf.readFloatLE(at) : buf.readFloatBE(at);
    default: return le ? buf.readDoubleLE(at) : buf.readDoubleBE(at);
  }
}

export function isDecodable(vr: string, length: number): boolean {
  return length <= MAX_DECODED_BYTES && (TEXT_VRS.has(vr) || SINGLE_TEXT_VRS.has(vr) || vr in NUMBER_SIZES);
}

export function decodeValues(vr: string, buf: Buffer, littleEndian: boolean): Array<string | number> {
  if (TEXT_VRS.has(vr) || SINGLE_TEXT_VRS.has(vr)) {
    const text = buf.toString('utf8').replace(/[\0 ]+$/, '');
    if (text === '') return [];
    return SINGLE_TEXT_VRS.has(vr) ? [text] : text.split('\\').map((v) => (vr === 'UI' ? v.replace(/\0+$/, '') : v.trim()));
  }
  const size = NUMBER_SIZES[vr];
  if (!size) return [];
  const out: number[] = [];
  for (let at = 0; at + size <= buf.length; at += size) out.push(readNumber(buf, vr, at, littleEndian));
  return out;
}
