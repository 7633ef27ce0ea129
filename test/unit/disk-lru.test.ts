import test from 'ava';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiskLru, EntryTooLargeError } from '../../src/cache/disk-lru.js';

function newCache(maxBytes: number) {
  return new DiskLru<{ n: number }>({ dir: path.join(mkdtempSync(path.join(os.tmpdir(), 'disklru-')), 'c'), maxBytes });
}

test('produces once for concurrent fetches and serves the file', async (t) => {
  const cache = newCache(1 << 20);
  let runs = 0;
  const producer = async (p: string) => {
    runs++;
    await sleep(10);
    await writeFile(p, 'hello');
    return { n: runs };
  };
  const entries = await Promise.all([1, 2, 3].map(() => cache.fetch('k', producer)));
  t.is(runs, 1);
  t.is(readFileSync(entries[0]!.path, 'utf8'), 'hello');
  t.is(entries[0]!.size, 5);
  cache.close();
});

test('evicts least recently used files and deletes them from disk', async (t) => {
  const cache = newCache(2500);
  const paths: string[] = [];
  for (let i = 0; i < 5; i++) paths.push((await cache.fetch(`k${i}`, async (p) => { await writeFile(p, Buffer.alloc(1000)); return { n: i }; })).path);
  await sleep(20);
  t.true(cache.stats().bytes <= 2500);
  t.false(existsSync(paths[0]!));
  t.true(existsSync(paths[4]!));
  cache.close();
});

test('an entry larger than the cache is refused, not leaked', async (t) => {
  const cache = newCache(100);
  await t.throwsAsync(cache.fetch('big', async (p) => { await writeFile(p, Buffer.alloc(200)); return { n: 0 }; }), { instanceOf: EntryTooLargeError });
  t.is(cache.stats().entries, 0);
  cache.close();
});

test('a failing producer leaves nothing behind and is retried next time', async (t) => {
  const cache = newCache(1 << 20);
  await t.throwsAsync(cache.fetch('k', async () => { throw new Error('upstream down'); }));
  const entry = await cache.fetch('k', async (p) => { await writeFile(p, 'ok'); return { n: 1 }; });
  t.is(entry.meta.n, 1);
  cache.close();
});
