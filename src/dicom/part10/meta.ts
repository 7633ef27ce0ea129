/**
 * The Part 10 preamble, "DICM" prefix and File Meta Information group
 * (PS3.10 §7.1), always Explicit VR Little Endian.
 */
import type { ByteSource } from './byte-source.js';
import { Part10Error } from './errors.js';
import { UNDEFINED_LENGTH, readElementHeader, type Encoding } from './element-header.js';
import { decodeValues, isDecodable } from './values.js';
import type { ElementInfo } from './walker.js';

const META_ENCODING: Encoding = { explicitVr: true, littleEndian: true };

export interface MetaInfo {
  hasPreamble: boolean;
  elements: Map<string, ElementInfo>;
  end: number;
  transferSyntaxUid: string;
}

async function prefixOffset(src: ByteSource): Promise<{ start: number; hasPreamble: boolean }> {
  const head = await src.read(0, 132);
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') return { start: 132, hasPreamble: true };
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'DICM') return { start: 4, hasPreamble: false };
  const looksLikeDataset = head.length >= 8 && head.readUInt16LE(0) === 0x0008;
  throw new Part10Error('NOT_PART10', looksLikeDataset
    ? 'no DICOM Part 10 header (preamble and "DICM"): this is a raw dataset without File Meta Information'
    : 'not a DICOM Part 10 file: no "DICM" prefix after the 128-byte preamble');
}

export async function readMeta(src: ByteSource): Promise<MetaInfo> {
  const { start, hasPreamble } = await prefixOffset(src);
  const elements = new Map<string, ElementInfo>();
  let pos = start;
  while (pos + 8 <= src.size) {
    const probe = await src.read(pos, 2);
    if (probe.readUInt16LE(0) !== 0x0002) break;
    const h = await readElementHeader(src, pos, META_ENCODING);
    if (h.length === UNDEFINED_LENGTH || h.valueOffset + h.length > src.size) {
      throw new Part10Error('TRUNCATED', `File Meta element (${h.tag.slice(0, 4)},${h.tag.slice(4)}) runs past the end of the data`, pos);
    }
    const info: ElementInfo = { tag: h.tag, vr: h.vr, offset: h.offset, valueOffset: h.valueOffset, length: h.length };
    if (isDecodable(h.vr, h.length)) info.values = decodeValues(h.vr, await src.read(h.valueOffset, h.length), true);
    elements.set(h.tag, info);
    pos = h.valueOffset + h.length;
  }
  if (elements.size === 0) throw new Part10Error('META_MISSING', 'the "DICM" prefix is not followed by a File Meta Information group (0002,xxxx)', start);
  const ts = elements.get('00020010')?.values?.[0];
  if (typeof ts !== 'string' || ts === '') throw new Part10Error('META_MISSING_TRANSFER_SYNTAX', 'File Meta Information has no Transfer Syntax UID (0002,0010)', start);
  return { hasPreamble, elements, end: pos, transferSyntaxUid: ts };
}
