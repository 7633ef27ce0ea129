import test from 'ava';
import {
  FrameLayoutError, encapsulatedFrameTable, frameCount, frameExtent, nativeFrameTable, type ByteRange,
} from '../../src/dicomweb/wado/frames/layout.js';

const native = { valueOffset: 1000, vr: 'OW', rows: 4, columns: 3, samplesPerPixel: 1, bitsAllocated: 16, numberOfFrames: 5, bigEndian: false };

test('native frames follow each other at rows × columns × samples × bits', (t) => {
  const table = nativeFrameTable({ ...native, valueLength: 4 * 3 * 2 * 5 });
  t.is(frameCount(table), 5);
  t.deepEqual(frameExtent(table, 1).ranges, [{ offset: 1000, length: 24 }]);
  t.deepEqual(frameExtent(table, 5).ranges, [{ offset: 1000 + 4 * 24, length: 24 }]);
  t.is(frameExtent(table, 3).length, 24);
  t.is(frameExtent(table, 3).swapWordBytes, 0);
  t.throws(() => frameExtent(table, 6), { instanceOf: RangeError });
  t.throws(() => frameExtent(table, 0), { instanceOf: RangeError });
});

test('native RGB and odd-length (padded) pixel data', (t) => {
  const rgb = nativeFrameTable({ ...native, rows: 3, columns: 3, samplesPerPixel: 3, bitsAllocated: 8, numberOfFrames: 1, valueLength: 28, vr: 'OB' });
  t.is(frameCount(rgb), 1);
  t.is(frameExtent(rgb, 1).length, 27); // the pad byte is not part of the frame
});

test('a missing NumberOfFrames counts as 1; more frames than the data holds are not offered', (t) => {
  t.is(frameCount(nativeFrameTable({ ...native, numberOfFrames: 0, valueLength: 24 })), 1);
  t.is(frameCount(nativeFrameTable({ ...native, numberOfFrames: 9, valueLength: 24 * 2 })), 2);
  t.throws(() => nativeFrameTable({ ...native, valueLength: 10 }), { instanceOf: FrameLayoutError });
  t.throws(() => nativeFrameTable({ ...native, rows: 0, valueLength: 24 }), { instanceOf: FrameLayoutError });
});

test('big endian OW data is swapped by BitsAllocated; OB and 8-bit data are not', (t) => {
  t.is(nativeFrameTable({ ...native, bigEndian: true, valueLength: 120 }).swapWordBytes, 2);
  t.is(nativeFrameTable({ ...native, bigEndian: true, bitsAllocated: 32, valueLength: 240 }).swapWordBytes, 4);
  t.is(nativeFrameTable({ ...native, bigEndian: true, bitsAllocated: 8, valueLength: 60, vr: 'OB' }).swapWordBytes, 0);
  t.is(nativeFrameTable({ ...native, bigEndian: true, bitsAllocated: 8, valueLength: 60 }).swapWordBytes, 0);
});

test('1-bit frames may start inside a byte', (t) => {
  // 3×3 = 9 bits per frame: frame 2 starts at bit 9 (byte 1, bit 1).
  const table = nativeFrameTable({ ...native, rows: 3, columns: 3, bitsAllocated: 1, numberOfFrames: 3, valueLength: 4 });
  t.is(frameCount(table), 3);
  t.deepEqual(frameExtent(table, 1), { ranges: [{ offset: 1000, length: 2 }], length: 2, bitShift: 0, bitLength: 9, swapWordBytes: 0 });
  t.deepEqual(frameExtent(table, 2), { ranges: [{ offset: 1001, length: 2 }], length: 2, bitShift: 1, bitLength: 9, swapWordBytes: 0 });
  t.deepEqual(frameExtent(table, 3).ranges, [{ offset: 1002, length: 2 }]);
  t.is(frameExtent(table, 3).bitShift, 2);
});

/** Fragments laid out as in a file: 8-byte item header, then the value. */
function fragments(lengths: number[], start = 500): ByteRange[] {
  let at = start;
  return lengths.map((length) => {
    const f = { offset: at + 8, length };
    at += 8 + length;
    return f;
  });
}

test('no offset table: one fragment per frame when the counts agree', (t) => {
  const frags = fragments([10, 20, 30]);
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [], numberOfFrames: 3 });
  t.is(frameCount(table), 3);
  t.deepEqual(frameExtent(table, 2).ranges, [frags[1]]);
  t.is(frameExtent(table, 3).length, 30);
});

test('no offset table, one frame: all fragments', (t) => {
  const frags = fragments([10, 20, 30]);
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [], numberOfFrames: 1 });
  t.deepEqual(frameExtent(table, 1).ranges, frags);
  t.is(frameExtent(table, 1).length, 60);
});

test('Basic Offset Table groups fragments into frames', (t) => {
  const frags = fragments([10, 20, 30, 40]);
  // Frame 1 = fragments 0+1, frame 2 = fragments 2+3; offsets count from the first item tag.
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [0, 8 + 10 + 8 + 20], numberOfFrames: 2 });
  t.deepEqual(frameExtent(table, 1).ranges, [frags[0], frags[1]]);
  t.deepEqual(frameExtent(table, 2).ranges, [frags[2], frags[3]]);
  t.is(frameExtent(table, 2).length, 70);
});

test('Extended Offset Table wins over the Basic Offset Table', (t) => {
  const frags = fragments([10, 20, 30]);
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [0, 18], extendedOffsets: [0, 8 + 10 + 8 + 20], numberOfFrames: 2 });
  t.deepEqual(frameExtent(table, 1).ranges, [frags[0], frags[1]]);
  t.deepEqual(frameExtent(table, 2).ranges, [frags[2]]);
});

test('an offset table that does not point at fragment starts is not trusted', (t) => {
  // As in a real GDCM file: 5 entries for 4 frames, off by a few bytes.
  const frags = fragments([100, 100, 100, 100]);
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [0, 109, 218, 327, 436], numberOfFrames: 4 });
  t.deepEqual(frameExtent(table, 4).ranges, [frags[3]]);
  const wrong = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [0, 3], numberOfFrames: 2, startsCodestream: [true, false, true, false] });
  t.deepEqual(frameExtent(wrong, 2).ranges, [frags[2], frags[3]]);
});

test('no table, more fragments than frames: codestream start markers decide, else a layout error', (t) => {
  const frags = fragments([10, 20, 30, 40, 50]);
  const table = encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [], numberOfFrames: 2, startsCodestream: [true, false, false, true, false] });
  t.deepEqual(frameExtent(table, 1).ranges, frags.slice(0, 3));
  t.deepEqual(frameExtent(table, 2).ranges, frags.slice(3));
  t.throws(() => encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [], numberOfFrames: 2 }), { instanceOf: FrameLayoutError });
  t.throws(() => encapsulatedFrameTable({ fragments: frags, basicOffsetTable: [], numberOfFrames: 2, startsCodestream: [true, true, true, false, false] }), { instanceOf: FrameLayoutError });
  t.throws(() => encapsulatedFrameTable({ fragments: [], basicOffsetTable: [], numberOfFrames: 1 }), { instanceOf: FrameLayoutError });
});
