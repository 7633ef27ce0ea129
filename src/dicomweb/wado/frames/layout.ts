/**
 * Where each frame of a stored instance lies in its Part 10 file: pure
 * arithmetic over what the Part 10 walker found, so that a frame request reads
 * only its own bytes (PS3.18 §10.4.1.1.6 Pixel Data resources).
 *
 * Native pixel data (PS3.5 §8.1.1): frames follow each other with no gap, each
 * Rows × Columns × SamplesPerPixel × BitsAllocated bits; with BitsAllocated 1
 * a frame may start inside a byte. Encapsulated pixel data (PS3.5 §A.4): a frame
 * is one or more whole fragments; which ones is said by the Extended Offset
 * Table (7FE0,0001), else the Basic Offset Table, else by counting.
 */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface NativeFrames {
  kind: 'native';
  count: number;
  /** File offset of the first byte of the Pixel Data value. */
  valueOffset: number;
  frameBits: number;
  /** Swap every word of this many bytes to get little endian (0: already little endian). */
  swapWordBytes: number;
}

export interface EncapsulatedFrames {
  kind: 'encapsulated';
  /** The fragments (value bytes, without item headers) of each frame, in order. */
  frames: ByteRange[][];
}

export type FrameTable = NativeFrames | EncapsulatedFrames;

/** What to read for one frame and how to turn it into the frame's bytes. */
export interface FrameExtent {
  ranges: ByteRange[];
  /** Bytes of the frame as sent. */
  length: number;
  /** Bit offset of the frame's first bit inside the first byte read (1-bit native data only). */
  bitShift: number;
  /** Exact bit length of a native frame whose size is not a whole number of bytes, else 0. */
  bitLength: number;
  swapWordBytes: number;
}

/** The stored pixel data cannot be split into frames; a 502-class fact about the archive's data. */
export class FrameLayoutError extends Error {
  readonly code = 'FRAME_LAYOUT';
}

export interface NativeInput {
  valueOffset: number;
  valueLength: number;
  vr: string;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  numberOfFrames: number;
  bigEndian: boolean;
}

const positive = (n: number) => Number.isInteger(n) && n > 0;

export function nativeFrameTable(input: NativeInput): NativeFrames {
  const { rows, columns, samplesPerPixel, bitsAllocated } = input;
  if (![rows, columns, samplesPerPixel, bitsAllocated].every(positive)) {
    throw new FrameLayoutError(`the image attributes needed to locate frames are missing or invalid (Rows ${rows}, Columns ${columns}, Samples per Pixel ${samplesPerPixel}, Bits Allocated ${bitsAllocated})`);
  }
  const frameBits = rows * columns * samplesPerPixel * bitsAllocated;
  const available = Math.floor((input.valueLength * 8) / frameBits);
  const count = Math.min(Math.max(1, input.numberOfFrames), available);
  if (count < 1) throw new FrameLayoutError(`the pixel data holds ${input.valueLength} bytes, less than one ${rows}×${columns} frame`);
  // OW data of a big endian dataset is stored in words of BitsAllocated; OB (8-bit) needs no swap.
  const swapWordBytes = input.bigEndian && input.vr !== 'OB' && bitsAllocated > 8 && bitsAllocated % 8 === 0 ? bitsAllocated / 8 : 0;
  return { kind: 'native', count, valueOffset: input.valueOffset, frameBits, swapWordBytes };
}

export interface EncapsulatedInput {
  fragments: ByteRange[];
  basicOffsetTable: number[];
  /** Extended Offset Table (7FE0,0001), when present. */
  extendedOffsets?: number[];
  numberOfFrames: number;
  /** Per fragment: does it begin with a codestream start marker? Only needed when no table applies. */
  startsCodestream?: boolean[];
}

/** Fragment item offsets relative to the first fragment's item tag, as offset tables count (PS3.5 §A.4). */
function itemPositions(fragments: ByteRange[]): number[] {
  const first = fragments[0]!.offset;
  return fragments.map((f) => f.offset - first);
}

/** Groups fragments by an offset table; undefined when the table does not fit the fragments. */
function groupByOffsets(fragments: ByteRange[], offsets: number[]): ByteRange[][] | undefined {
  const positions = itemPositions(fragments);
  const frames: ByteRange[][] = [];
  let next = 0;
  for (let k = 0; k < offsets.length; k++) {
    if (positions[next] !== offsets[k]) return undefined;
    const end = k + 1 < offsets.length ? offsets[k + 1]! : Infinity;
    const frame: ByteRange[] = [];
    while (next < fragments.length && positions[next]! < end) frame.push(fragments[next++]!);
    frames.push(frame);
  }
  return next === fragments.length ? frames : undefined;
}

function groupByStarts(fragments: ByteRange[], starts: boolean[]): ByteRange[][] {
  const frames: ByteRange[][] = [];
  fragments.forEach((fragment, i) => {
    if (starts[i] || frames.length === 0) frames.push([fragment]);
    else frames[frames.length - 1]!.push(fragment);
  });
  return frames;
}

export function encapsulatedFrameTable(input: EncapsulatedInput): EncapsulatedFrames {
  const { fragments } = input;
  const n = Math.max(1, input.numberOfFrames);
  if (fragments.length === 0) throw new FrameLayoutError('the encapsulated pixel data has no fragments');
  for (const table of [input.extendedOffsets, input.basicOffsetTable]) {
    if (table && table.length === n) {
      const frames = groupByOffsets(fragments, table);
      if (frames) return { kind: 'encapsulated', frames };
    }
  }
  if (fragments.length === n) return { kind: 'encapsulated', frames: fragments.map((f) => [f]) };
  if (n === 1) return { kind: 'encapsulated', frames: [fragments] };
  const starts = input.startsCodestream;
  if (starts && starts[0] && starts.filter(Boolean).length === n) return { kind: 'encapsulated', frames: groupByStarts(fragments, starts) };
  throw new FrameLayoutError(`cannot tell which of the ${fragments.length} fragments belong to which of the ${n} frames (no usable offset table)`);
}

export function frameCount(table: FrameTable): number {
  return table.kind === 'native' ? table.count : table.frames.length;
}

/** The extent of frame `frame` (1-based, within frameCount). */
export function frameExtent(table: FrameTable, frame: number): FrameExtent {
  if (table.kind === 'encapsulated') {
    const ranges = table.frames[frame - 1];
    if (!ranges) throw new RangeError(`frame ${frame} of ${table.frames.length}`);
    return { ranges, length: ranges.reduce((sum, r) => sum + r.length, 0), bitShift: 0, bitLength: 0, swapWordBytes: 0 };
  }
  if (frame < 1 || frame > table.count) throw new RangeError(`frame ${frame} of ${table.count}`);
  const startBit = (frame - 1) * table.frameBits;
  const bitShift = startBit % 8;
  const length = Math.ceil(table.frameBits / 8);
  const readBytes = Math.ceil((bitShift + table.frameBits) / 8);
  const whole = table.frameBits % 8 === 0;
  return {
    ranges: [{ offset: table.valueOffset + Math.floor(startBit / 8), length: readBytes }],
    length,
    bitShift,
    bitLength: whole ? 0 : table.frameBits,
    swapWordBytes: table.swapWordBytes,
  };
}
