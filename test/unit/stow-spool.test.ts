import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Spool, spoolStream } from '../../src/dicomweb/stow/spool.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stow-spool-unit-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const chunks = (n: number, size: number) => Readable.from(Array.from({ length: n }, (_, i) => Buffer.alloc(size, i)));
const limits = (memoryBytes: number, maxBytes = 1 << 30) => ({ memoryBytes, maxBytes, onTooLarge: () => new Error('too large') });
const collect = async (r: Readable) => Buffer.concat(await r.toArray());

test('small parts stay in memory, large ones go to a file that release() deletes', async (t) => {
  await withDir(async (dir) => {
    const small = await spoolStream(chunks(3, 100), dir, limits(1000));
    t.true(small.inMemory);
    t.is(small.size, 300);
    t.deepEqual(await readdir(dir), []);
    const big = await spoolStream(chunks(40, 64 * 1024), dir, limits(100_000));
    t.false(big.inMemory);
    t.is((await readdir(dir)).length, 1);
    const bytes = await collect(big.stream());
    t.is(bytes.length, 40 * 64 * 1024);
    t.is(bytes[64 * 1024 * 39], 39);
    t.is((await collect(big.stream(64 * 1024))).length, 39 * 64 * 1024, 'a second stream from an offset');
    const { source, close } = await big.openSource();
    t.is((await source.read(64 * 1024 * 5, 4)).toString('hex'), '05050505');
    await close();
    await big.release();
    await big.release();
    await small.release();
    t.deepEqual(await readdir(dir), []);
  });
});

test('a part over the limit fails the spool and leaves no file', async (t) => {
  await withDir(async (dir) => {
    await t.throwsAsync(spoolStream(chunks(10, 1000), dir, limits(100, 5000)), { message: 'too large' });
    t.deepEqual(await readdir(dir), []);
  });
});

test('a shared memory budget sends later parts to disk and is given back on release', async (t) => {
  await withDir(async (dir) => {
    const budget = { remaining: 1500 };
    const first = await spoolStream(chunks(1, 1000), dir, { ...limits(10_000), budget });
    const second = await spoolStream(chunks(1, 1000), dir, { ...limits(10_000), budget });
    t.true(first.inMemory);
    t.false(second.inMemory);
    t.is(budget.remaining, 500);
    await first.release();
    await second.release();
    t.is(budget.remaining, 1500);
  });
});

test('Spool.ofBuffer wraps bytes already in memory', async (t) => {
  const spool = Spool.ofBuffer(Buffer.from('hello'));
  t.is(spool.size, 5);
  t.is((await spool.readAll()).toString(), 'hello');
  t.is((await collect(spool.stream(1))).toString(), 'ello');
});
