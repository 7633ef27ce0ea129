import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { edgeMultipart } from '../../src/edge/multipart-body.js';
import { readMultipart } from '../../src/http/multipart.js';
import { SlabPool } from '../../src/http/slab-pool.js';
import type { EdgeInstance } from '../../src/edge/types.js';

const MiB = 1024 * 1024;
const pattern = (bytes: number, seed: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31 + seed) & 0xff));

async function files(t: { teardown(fn: () => Promise<void>): void }, sizes: number[]): Promise<Array<{ instance: EdgeInstance; data: Buffer }>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-body-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return Promise.all(sizes.map(async (size, i) => {
    const data = pattern(size, i);
    const file = path.join(dir, `${i}.dcm`);
    await writeFile(file, data);
    return { data, instance: { study: '1', series: '2', instance: `3.${i}`, path: file, size, sha256: '', transferSyntax: '1.2.840.10008.1.2.1', sopClass: '1.2' } };
  }));
}

/** Reads the answer the way a client does; each body chunk is given back once copied (as after a socket write). */
async function readAnswer(answer: ReturnType<typeof edgeMultipart>, giveBack: boolean): Promise<{ parts: Buffer[]; bytes: number }> {
  const body = answer.body;
  const parts: Buffer[] = [];
  const counted = new PassThrough();
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    counted.write(Buffer.from(chunk));
    if (giveBack) answer.releaseChunk(chunk);
  });
  body.on('end', () => counted.end());
  body.on('error', (err) => counted.destroy(err));
  await readMultipart(counted, answer.boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      parts.push(Buffer.concat(chunks));
    },
  });
  return { parts, bytes };
}

test('edge files of any size come out whole, read into slabs that are reused once given back', async (t) => {
  const sizes = [0, 1, 512 * 1024, MiB, MiB + 5, 3 * MiB + 17];
  const held = await files(t, sizes);
  const pool = new SlabPool(MiB, 4);
  const answer = edgeMultipart(held.map((h) => h.instance), '*', () => undefined, pool);
  const { parts, bytes } = await readAnswer(answer, true);
  t.deepEqual(parts.map((p) => p.length), sizes);
  for (const [i, part] of parts.entries()) t.true(part.equals(held[i]!.data), `file of ${sizes[i]} bytes`);
  t.true(pool.freeCount > 0, 'slabs came back to the pool');
  t.is(answer.length, bytes, 'the announced Content-Length is what was sent');
});

test('a file shorter or longer than the index says cuts the answer', async (t) => {
  for (const delta of [-10, 10]) {
    const [held] = await files(t, [200_000 + Math.max(0, delta)]);
    const instance = { ...held!.instance, size: 200_000 - Math.min(0, delta) };
    const answer = edgeMultipart([instance], '*', () => undefined, new SlabPool(MiB, 2));
    const err = await t.throwsAsync(readAnswer(answer, false));
    t.regex(err?.message ?? '', /edge file of instance 3\.0 has|ended before/);
  }
});

test('small files share slabs: a reader that holds every chunk pins about what it read, not a slab per file', async (t) => {
  const held = await files(t, Array.from({ length: 200 }, () => 4096));
  const answer = edgeMultipart(held.map((h) => h.instance), '*', () => undefined, new SlabPool(MiB, 4));
  const memories = new Set<ArrayBufferLike>();
  answer.body.on('data', (chunk: Buffer) => chunk.length === 4096 && memories.add(chunk.buffer)); // file bytes, not part headers
  const { parts } = await readAnswer(answer, false);
  t.is(parts.length, 200);
  t.true(parts.every((p, i) => p.equals(held[i]!.data)));
  t.true(memories.size <= 3, `${memories.size} slabs for 200 files of 4 KiB`);
});
