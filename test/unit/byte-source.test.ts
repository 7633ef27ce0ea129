import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bufferSource, chunksSource, fileSource } from '../../src/dicom/part10/index.js';

test('a chunk list reads like the joined buffer, at every position and length, across chunk boundaries', async (t) => {
  const whole = randomBytes(1000);
  const cuts = [0, 1, 7, 7, 300, 301, 999, 1000];
  const chunks = cuts.slice(1).map((end, i) => whole.subarray(cuts[i]!, end));
  const joined = bufferSource(whole);
  const chunked = chunksSource(chunks);
  t.is(chunked.size, 1000);
  for (const position of [0, 1, 6, 7, 8, 299, 300, 301, 500, 998, 999, 1000, 1200]) {
    for (const length of [0, 1, 2, 8, 293, 700, 2000]) {
      t.deepEqual(await chunked.read(position, length), await joined.read(position, length), `read(${position}, ${length})`);
    }
  }
});

test('a read inside one chunk is a view of it, not a copy', async (t) => {
  const a = Buffer.from('abcdef');
  const source = chunksSource([a, Buffer.from('ghij')]);
  const view = await source.read(1, 3);
  a[1] = 0x5a;
  t.is(view.toString(), 'Zcd');
});

test('a file reads like the buffer; its window starts small and doubles, so a small image is indexed in one small read', async (t) => {
  const whole = randomBytes(3 * 1024 * 1024);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'byte-source-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f.bin');
  writeFileSync(file, whole);
  const handle = await open(file, 'r');
  t.teardown(() => handle.close());
  const reads: number[] = [];
  const counted = new Proxy(handle, {
    get: (target, key) => (key === 'read' ? (buf: Buffer, off: number, len: number, pos: number) => (reads.push(len), target.read(buf, off, len, pos)) : Reflect.get(target, key)),
  });
  const source = fileSource(counted, whole.length);
  const joined = bufferSource(whole);
  t.deepEqual(await source.read(0, 132), await joined.read(0, 132));
  t.deepEqual(await source.read(2000, 100), await joined.read(2000, 100), 'inside the first window: no read');
  t.deepEqual(reads, [16 * 1024]);
  for (const position of [20_000, 100_000, 400_000, 1_500_000, 2_900_000]) t.deepEqual(await source.read(position, 64), await joined.read(position, 64));
  t.deepEqual(reads, [...[16, 32, 64, 128, 256].map((k) => k * 1024), whole.length - 2_900_000], 'the last window stops at the end of the file');
  t.deepEqual(await source.read(whole.length - 10, 100), whole.subarray(whole.length - 10), 'short at the end');
});
