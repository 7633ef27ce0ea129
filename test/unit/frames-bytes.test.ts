import test from 'ava';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FRAME_CHUNK_BYTES, readFrame, readFrameChunks, shiftBits, swapBytes } from '../../src/dicomweb/wado/frames/bytes.js';

test('swapBytes swaps 16-, 32- and 64-bit words in place', (t) => {
  t.deepEqual([...swapBytes(Buffer.from([1, 2, 3, 4]), 2)], [2, 1, 4, 3]);
  t.deepEqual([...swapBytes(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 4)], [4, 3, 2, 1, 8, 7, 6, 5]);
  t.deepEqual([...swapBytes(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 8)], [8, 7, 6, 5, 4, 3, 2, 1]);
  t.deepEqual([...swapBytes(Buffer.from([1, 2, 3]), 2)], [2, 1, 3], 'a trailing partial word stays');
  t.deepEqual([...swapBytes(Buffer.from([1, 2]), 0)], [1, 2]);
  t.throws(() => swapBytes(Buffer.from([1, 2, 3]), 3));
});

test('swapped big endian 16-bit values read as little endian', (t) => {
  const be = Buffer.alloc(4);
  be.writeUInt16BE(0x1234, 0);
  be.writeUInt16BE(0xabcd, 2);
  const le = swapBytes(be, 2);
  t.is(le.readUInt16LE(0), 0x1234);
  t.is(le.readUInt16LE(2), 0xabcd);
});

test('shiftBits moves a bit run to bit 0, least significant bit first', (t) => {
  // bits (LSB first): byte0 = 1011 0110 → bits 0..7 = 0,1,1,0,1,1,0,1
  const src = Buffer.from([0b10110110, 0b00000011]);
  t.deepEqual([...shiftBits(src, 1, 9)], [0b11011011, 0b1]);
  t.deepEqual([...shiftBits(src, 0, 9)], [0b10110110, 0b1]);
  t.deepEqual([...shiftBits(src, 3, 4)], [0b0110]);
});

test('readFrameChunks reads only the ranges, in chunks, swapping as asked', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'frames-bytes-'));
  try {
    const file = path.join(dir, 'f.bin');
    const data = Buffer.alloc(FRAME_CHUNK_BYTES * 2 + 64);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await writeFile(file, data);
    const handle = await open(file, 'r');
    try {
      const ranges = [{ offset: 10, length: 6 }, { offset: 100, length: FRAME_CHUNK_BYTES + 8 }];
      const chunks: Buffer[] = [];
      for await (const c of readFrameChunks(handle, { ranges, length: 6 + FRAME_CHUNK_BYTES + 8, bitShift: 0, bitLength: 0, swapWordBytes: 0 })) chunks.push(c);
      t.is(chunks.length, 3);
      t.deepEqual(Buffer.concat(chunks), Buffer.concat([data.subarray(10, 16), data.subarray(100, 100 + FRAME_CHUNK_BYTES + 8)]));
      const swapped = await readFrame(handle, { ranges: [{ offset: 0, length: 4 }], length: 4, bitShift: 0, bitLength: 0, swapWordBytes: 2 });
      t.deepEqual([...swapped], [1, 0, 3, 2]);
      const bits = await readFrame(handle, { ranges: [{ offset: 1, length: 2 }], length: 2, bitShift: 1, bitLength: 9, swapWordBytes: 0 });
      t.deepEqual(bits, shiftBits(data.subarray(1, 3), 1, 9));
      await t.throwsAsync(readFrame(handle, { ranges: [{ offset: data.length - 2, length: 8 }], length: 8, bitShift: 0, bitLength: 0, swapWordBytes: 0 }), { message: /ends/ });
    } finally {
      await handle.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
