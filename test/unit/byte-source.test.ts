import test from 'ava';
import { randomBytes } from 'node:crypto';
import { bufferSource, chunksSource } from '../../src/dicom/part10/index.js';

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
