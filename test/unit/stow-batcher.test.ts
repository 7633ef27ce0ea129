import test from 'ava';
import { StoreBatcher } from '../../src/dicomweb/stow/batcher.js';

interface Harness {
  batcher: StoreBatcher<string, string>;
  sent: string[][];
  /** Answers the oldest batch still unanswered. */
  answer(): void;
  fail(err: Error): void;
  partial: { allowed: boolean };
}

function harness(limits = { slots: 1, maxInstances: 3, maxBytes: 1000 }): Harness {
  const sent: string[][] = [];
  const pending: Array<{ resolve(r: string[]): void; reject(e: Error): void; items: string[] }> = [];
  const partial = { allowed: false };
  const batcher = new StoreBatcher<string, string>(
    (items) => new Promise((resolve, reject) => {
      sent.push(items);
      pending.push({ resolve, reject, items });
    }),
    limits,
    () => partial.allowed,
  );
  return {
    batcher, sent, partial,
    answer: () => {
      const p = pending.shift()!;
      p.resolve(p.items.map((i) => `stored ${i}`));
    },
    fail: (err) => pending.shift()!.reject(err),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a batch goes when full; results come back to each item in order', async (t) => {
  const h = harness();
  const results = ['a', 'b', 'c'].map((x) => h.batcher.submit(x, 10));
  await tick();
  t.deepEqual(h.sent, [['a', 'b', 'c']]);
  h.answer();
  t.deepEqual(await Promise.all(results), ['stored a', 'stored b', 'stored c']);
});

test('a partly filled batch waits until the caller says nothing more can join soon', async (t) => {
  const h = harness();
  const a = h.batcher.submit('a', 10);
  await tick();
  t.deepEqual(h.sent, []);
  h.partial.allowed = true;
  h.batcher.pump();
  t.deepEqual(h.sent, [['a']]);
  h.answer();
  t.is(await a, 'stored a');
});

test('while every slot is busy, newly submitted items wait and go together in the next batch', async (t) => {
  const h = harness({ slots: 1, maxInstances: 5, maxBytes: 1000 });
  h.partial.allowed = true;
  const first = h.batcher.submit('a', 10);
  const later = ['b', 'c', 'd'].map((x) => h.batcher.submit(x, 10));
  t.deepEqual(h.sent, [['a']]);
  h.answer();
  await first;
  await tick();
  t.deepEqual(h.sent, [['a'], ['b', 'c', 'd']]);
  h.answer();
  t.deepEqual(await Promise.all(later), ['stored b', 'stored c', 'stored d']);
});

test('the byte limit splits batches; an item larger than the limit goes alone', async (t) => {
  const h = harness({ slots: 4, maxInstances: 10, maxBytes: 100 });
  h.batcher.submit('a', 60);
  h.batcher.submit('b', 60); // 120 queued: full by bytes, 'a' goes alone, 'b' waits
  t.deepEqual(h.sent, [['a']]);
  h.batcher.submit('huge', 500);
  t.deepEqual(h.sent, [['a'], ['b'], ['huge']]);
});

test('a failed batch rejects each of its items with the error, and later batches still go', async (t) => {
  const h = harness({ slots: 1, maxInstances: 2, maxBytes: 1000 });
  const [a, b] = ['a', 'b'].map((x) => h.batcher.submit(x, 1));
  const c = h.batcher.submit('c', 1);
  h.fail(new Error('archive gone'));
  await t.throwsAsync(a!, { message: 'archive gone' });
  await t.throwsAsync(b!, { message: 'archive gone' });
  await tick();
  t.deepEqual(h.sent, [['a', 'b']]);
  h.partial.allowed = true;
  h.batcher.pump();
  t.deepEqual(h.sent, [['a', 'b'], ['c']]);
  h.answer();
  t.is(await c, 'stored c');
});
