/**
 * The one thing the WADO-RS cases read from a Part 10 file (PS3.10 §7.1): the
 * Transfer Syntax UID (0002,0010) of the File Meta Information, which is
 * always Explicit VR Little Endian.
 */

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function isPart10(file: Buffer): boolean {
  return file.length > 132 && file.subarray(128, 132).toString('latin1') === 'DICM';
}

/** Transfer Syntax UID of a Part 10 file, or undefined when there is none. */
export function transferSyntaxOf(file: Buffer): string | undefined {
  if (!isPart10(file)) return undefined;
  let at = 132;
  while (at + 8 <= file.length && file.readUInt16LE(at) === 0x0002) {
    const element = file.readUInt16LE(at + 2);
    const vr = file.subarray(at + 4, at + 6).toString('latin1');
    const long = LONG_LENGTH_VRS.has(vr);
    const length = long ? file.readUInt32LE(at + 8) : file.readUInt16LE(at + 6);
    const valueAt = at + (long ? 12 : 8);
    if (element === 0x0010) return file.subarray(valueAt, valueAt + length).toString('latin1').replace(/[\0 ]+$/, '');
    at = valueAt + length;
  }
  return undefined;
}
