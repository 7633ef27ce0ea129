/**
 * Encapsulated pixel data (PS3.5 §A.4): a Basic Offset Table item, then one
 * item per fragment, then a Sequence Delimitation Item. Always little endian.
 */
import type { ByteSource } from './byte-source.js';
import { Part10Error } from './errors.js';
import { ITEM, ITEM_GROUP, SEQUENCE_DELIMITER, readElementHeader, type Encoding } from './element-header.js';

export interface Fragment {
  /** Offset of the fragment's bytes (after its item header). */
  offset: number;
  length: number;
}

const ITEMS: Encoding = { explicitVr: false, littleEndian: true };
/** A Basic Offset Table larger than this is not read (it would describe > 4M frames). */
const MAX_BOT_BYTES = 16 * 1024 * 1024;

export async function readEncapsulated(src: ByteSource, start: number): Promise<{ basicOffsetTable: number[]; fragments: Fragment[]; end: number }> {
  const fragments: Fragment[] = [];
  let basicOffsetTable: number[] | undefined;
  let pos = start;
  for (;;) {
    const item = await readElementHeader(src, pos, ITEMS);
    if (item.group !== ITEM_GROUP) throw new Part10Error('MALFORMED_ELEMENT', `encapsulated pixel data: expected an item at offset ${pos}, found (${item.tag.slice(0, 4)},${item.tag.slice(4)})`, pos);
    if (item.element === SEQUENCE_DELIMITER) return { basicOffsetTable: basicOffsetTable ?? [], fragments, end: item.valueOffset };
    if (item.element !== ITEM) throw new Part10Error('MALFORMED_ELEMENT', `encapsulated pixel data: unexpected item tag at offset ${pos}`, pos);
    if (item.valueOffset + item.length > src.size) {
      throw new Part10Error('TRUNCATED', `encapsulated pixel data: a fragment of ${item.length} bytes at offset ${item.valueOffset} runs past the end of the data (${src.size})`, pos);
    }
    if (basicOffsetTable === undefined) {
      basicOffsetTable = item.length > 0 && item.length <= MAX_BOT_BYTES ? decodeOffsets(await src.read(item.valueOffset, item.length)) : [];
    } else {
      fragments.push({ offset: item.valueOffset, length: item.length });
    }
    pos = item.valueOffset + item.length;
  }
}

function decodeOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 4 <= buf.length; at += 4) out.push(buf.readUInt32LE(at));
  return out;
}
