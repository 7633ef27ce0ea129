/**
 * Walks a DICOM Part 10 file (PS3.10 §7: preamble, "DICM", File Meta group;
 * PS3.5 §7: data elements, sequences, encapsulated pixel data) without reading
 * values it does not need: it records where every top-level element is, decodes
 * small ones, and maps the pixel data (native, or fragments and offset tables).
 * Works on files of any size in constant memory.
 */
import type { ByteSource } from './byte-source.js';
import { Part10Error } from './errors.js';
import {
  ITEM, ITEM_DELIMITER, ITEM_GROUP, SEQUENCE_DELIMITER, UNDEFINED_LENGTH, parseElementHeader, punctuated, readElementHeader,
  type ElementHeader, type Encoding,
} from './element-header.js';
import { decodeValues, isDecodable } from './values.js';
import { lookupAttribute } from '../dictionary.js';
import { readMeta } from './meta.js';
import { readEncapsulated, type Fragment } from './encapsulated.js';

export interface ElementInfo {
  tag: string;
  vr: string;
  offset: number;
  valueOffset: number;
  /** -1 for undefined length. */
  length: number;
  /** Decoded when small and of a text or binary-number VR. */
  values?: Array<string | number>;
}

export interface PixelDataInfo {
  tag: string;
  vr: string;
  valueOffset: number;
  /** Bytes of the value; for encapsulated data, up to and including the sequence delimiter. */
  length: number;
  encapsulated: boolean;
  /** Basic Offset Table entries (relative to the first fragment's item), possibly empty. */
  basicOffsetTable: number[];
  fragments: Fragment[];
}

export interface Part10Index {
  size: number;
  hasPreamble: boolean;
  meta: Map<string, ElementInfo>;
  datasetOffset: number;
  transferSyntaxUid: string;
  encoding: Encoding;
  elements: Map<string, ElementInfo>;
  pixelData?: PixelDataInfo;
  /** Offset where trailing zero padding after the dataset starts, if any. */
  trailingPaddingOffset?: number;
}

export interface WalkOptions {
  /** The dataset after the File Meta group is already inflated (Deflated Explicit VR LE). */
  assumeInflated?: boolean;
}

const MAX_DEPTH = 32;
const PIXEL_DATA_TAGS = new Set(['7FE00010', '7FE00008', '7FE00009']);

interface Walk {
  src: ByteSource;
  index: Part10Index;
}

function encodingOf(ts: string, options: WalkOptions): Encoding {
  if (ts === '1.2.840.10008.1.2') return { explicitVr: false, littleEndian: true };
  if (ts === '1.2.840.10008.1.2.2') return { explicitVr: true, littleEndian: false };
  if (ts === '1.2.840.10008.1.2.1.99' && !options.assumeInflated) {
    throw new Part10Error('DEFLATED', 'the dataset is deflated (Deflated Explicit VR Little Endian) and must be inflated first');
  }
  return { explicitVr: true, littleEndian: true };
}

export async function indexPart10(src: ByteSource, options: WalkOptions = {}): Promise<Part10Index> {
  const meta = await readMeta(src);
  const index: Part10Index = {
    size: src.size,
    hasPreamble: meta.hasPreamble,
    meta: meta.elements,
    datasetOffset: meta.end,
    transferSyntaxUid: meta.transferSyntaxUid,
    encoding: encodingOf(meta.transferSyntaxUid, options),
    elements: new Map(),
  };
  await walkTopLevel({ src, index });
  return index;
}

function isZeroPadding(probe: Buffer): boolean {
  return probe.length > 0 && probe.every((b) => b === 0);
}

async function walkTopLevel(walk: Walk): Promise<void> {
  const { src, index } = walk;
  let pos = index.datasetOffset;
  while (pos < src.size) {
    // One read serves the padding check, the element header and a short value (one await per element, not three).
    const probe = await src.read(pos, PROBE_BYTES);
    // Some writers pad files with zeros after the dataset; (0000,0000) with VR "\0\0" is not an element.
    if (index.elements.size > 0 && isZeroPadding(probe)) {
      index.trailingPaddingOffset = pos;
      return;
    }
    const header = parseElementHeader(probe, pos, index.encoding);
    if (header.group === ITEM_GROUP) throw new Part10Error('MALFORMED_ELEMENT', `unexpected item tag ${punctuated(header.tag)} at offset ${pos} outside a sequence`, pos);
    pos = await recordTopLevel(walk, header, probe);
  }
}

/** Bytes read at each top-level element: its header and, for most small values (UIDs, codes, dates), the value too. */
const PROBE_BYTES = 96;

/** The value's bytes: from the probe read with the header when they are in it. */
function valueBytes(src: ByteSource, header: ElementHeader, probe: Buffer): Buffer | Promise<Buffer> {
  const from = header.valueOffset - header.offset;
  return from + header.length <= probe.length ? probe.subarray(from, from + header.length) : src.read(header.valueOffset, header.length);
}

async function recordTopLevel(walk: Walk, header: ElementHeader, probe: Buffer): Promise<number> {
  const { src, index } = walk;
  const info: ElementInfo = { tag: header.tag, vr: header.vr, offset: header.offset, valueOffset: header.valueOffset, length: header.length === UNDEFINED_LENGTH ? -1 : header.length };
  index.elements.set(header.tag, info);
  if (PIXEL_DATA_TAGS.has(header.tag)) return recordPixelData(walk, header);
  if (header.length === UNDEFINED_LENGTH) return skipUndefined(walk, header, 1);
  const end = header.valueOffset + header.length;
  if (end > src.size) throw truncated(header, src.size);
  // Writers that store everything as UN (seen in the wild) still carry readable values: use the dictionary VR.
  const vr = header.vr === 'UN' ? (lookupAttribute(header.tag)?.vr ?? 'UN') : header.vr;
  if (isDecodable(vr, header.length)) {
    const bytes = valueBytes(src, header, probe);
    info.values = decodeValues(vr, bytes instanceof Buffer ? bytes : await bytes, index.encoding.littleEndian);
  }
  return end;
}

async function recordPixelData(walk: Walk, header: ElementHeader): Promise<number> {
  const { src, index } = walk;
  if (header.length !== UNDEFINED_LENGTH) {
    const end = header.valueOffset + header.length;
    if (end > src.size) throw truncated(header, src.size);
    index.pixelData = { tag: header.tag, vr: header.vr, valueOffset: header.valueOffset, length: header.length, encapsulated: false, basicOffsetTable: [], fragments: [] };
    return end;
  }
  const encapsulated = await readEncapsulated(src, header.valueOffset);
  index.pixelData = { tag: header.tag, vr: header.vr, valueOffset: header.valueOffset, length: encapsulated.end - header.valueOffset, encapsulated: true, basicOffsetTable: encapsulated.basicOffsetTable, fragments: encapsulated.fragments };
  return encapsulated.end;
}

function truncated(header: ElementHeader, size: number): Part10Error {
  return new Part10Error('TRUNCATED', `the value of ${punctuated(header.tag)} needs ${header.length} bytes from offset ${header.valueOffset}, but the data ends at ${size}`, header.offset);
}

/** Skips an undefined-length value: a sequence (SQ, or UN which is implicit VR LE inside, PS3.5 §6.2.2). */
async function skipUndefined(walk: Walk, header: ElementHeader, depth: number): Promise<number> {
  if (header.vr !== 'SQ' && header.vr !== 'UN' && walk.index.encoding.explicitVr) {
    throw new Part10Error('MALFORMED_ELEMENT', `element ${punctuated(header.tag)} (VR ${header.vr}) has an undefined length`, header.offset);
  }
  const inner: Encoding = header.vr === 'UN' ? { explicitVr: false, littleEndian: true } : walk.index.encoding;
  return skipSequence(walk, header.valueOffset, inner, depth);
}

async function skipSequence(walk: Walk, start: number, enc: Encoding, depth: number): Promise<number> {
  if (depth > MAX_DEPTH) throw new Part10Error('TOO_DEEP', `sequences nested more than ${MAX_DEPTH} deep at offset ${start}`, start);
  let pos = start;
  for (;;) {
    const item = await readElementHeader(walk.src, pos, { ...enc, explicitVr: false });
    if (item.group !== ITEM_GROUP) throw new Part10Error('MALFORMED_ELEMENT', `expected an item in the sequence at offset ${pos}, found ${punctuated(item.tag)}`, pos);
    if (item.element === SEQUENCE_DELIMITER) return item.valueOffset;
    if (item.element !== ITEM) throw new Part10Error('MALFORMED_ELEMENT', `unexpected ${punctuated(item.tag)} in a sequence at offset ${pos}`, pos);
    if (item.length === UNDEFINED_LENGTH) pos = await skipItemElements(walk, item.valueOffset, enc, depth);
    else if (item.valueOffset + item.length > walk.src.size) throw truncated(item, walk.src.size);
    else pos = item.valueOffset + item.length;
  }
}

/** Elements of an undefined-length item, up to and including its Item Delimitation Item. */
async function skipItemElements(walk: Walk, start: number, enc: Encoding, depth: number): Promise<number> {
  let pos = start;
  for (;;) {
    const header = await readElementHeader(walk.src, pos, enc);
    if (header.group === ITEM_GROUP) {
      if (header.element === ITEM_DELIMITER) return header.valueOffset;
      throw new Part10Error('MALFORMED_ELEMENT', `unexpected ${punctuated(header.tag)} inside an item at offset ${pos}`, pos);
    }
    if (header.length === UNDEFINED_LENGTH) {
      const inner: Encoding = header.vr === 'UN' ? { explicitVr: false, littleEndian: true } : enc;
      pos = await skipSequence(walk, header.valueOffset, inner, depth + 1);
    } else if (header.valueOffset + header.length > walk.src.size) {
      throw truncated(header, walk.src.size);
    } else pos = header.valueOffset + header.length;
  }
}
