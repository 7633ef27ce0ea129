import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { GLOBAL_SCOPE, MetadataCache, makeAnswer } from '../../src/cache/metadata-cache.js';
import { UpstreamUnreachableError, BadRequestError } from '../../src/http/errors.js';

const config = { enabled: true, maxBytes: 64 * 1024, ttlMs: 60_000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0 };
const answer = (text: string) => makeAnswer(200, Buffer.from(text));

test('concurrent misses of one key share one load', async (t) => {
  const cache = new MetadataCache(config);
  let loads = 0;
  const load = async () => {
    loads++;
    await sleep(20);
    return answer('x');
  };
  const results = await Promise.all([1, 2, 3, 4].map(() => cache.get('k', '1.2', load)));
  t.is(loads, 1);
  t.deepEqual(results.map((r) => r.outcome).filter((o) => o === 'MISS').length, 4);
  t.is((await cache.get('k', '1.2', load)).outcome, 'HIT');
});

test('bounded by bytes: old entries are evicted', async (t) => {
  const cache = new MetadataCache({ ...config, maxBytes: 4096 });
  for (let i = 0; i < 20; i++) await cache.get(`k${i}`, GLOBAL_SCOPE, async () => answer('y'.repeat(1000)));
  t.true(cache.stats().bytes <= 4096);
  t.true(cache.stats().entries < 20);
});

test('expires after the TTL', async (t) => {
  const cache = new MetadataCache({ ...config, ttlMs: 30 });
  await cache.get('k', GLOBAL_SCOPE, async () => answer('1'));
  await sleep(60);
  const { answer: a, outcome } = await cache.get('k', GLOBAL_SCOPE, async () => answer('2'));
  t.is(outcome, 'MISS');
  t.is(a.body.toString(), '2');
});

test('stale-while-revalidate answers stale once, then fresh', async (t) => {
  const cache = new MetadataCache({ ...config, ttlMs: 30, staleWhileRevalidateMs: 10_000 });
  let n = 0;
  const load = async () => answer(String(++n));
  await cache.get('k', GLOBAL_SCOPE, load);
  await sleep(50);
  const stale = await cache.get('k', GLOBAL_SCOPE, load);
  t.is(stale.outcome, 'STALE');
  t.is(stale.answer.body.toString(), '1');
  await sleep(10);
  const fresh = await cache.get('k', GLOBAL_SCOPE, load);
  t.is(fresh.outcome, 'HIT');
  t.is(fresh.answer.body.toString(), '2');
});

test('invalidating a study drops its entries and cross-study ones', async (t) => {
  const cache = new MetadataCache(config);
  await cache.get('a', '1.2.3', async () => answer('a'));
  await cache.get('b', '9.9', async () => answer('b'));
  await cache.get('g', GLOBAL_SCOPE, async () => answer('g'));
  t.is(cache.invalidateStudy('1.2.3'), 2);
  t.is((await cache.get('b', '9.9', async () => answer('b2'))).outcome, 'HIT');
  t.is((await cache.get('a', '1.2.3', async () => answer('a2'))).outcome, 'MISS');
});

test('failed loads are not cached', async (t) => {
  const cache = new MetadataCache(config);
  await t.throwsAsync(cache.get('k', GLOBAL_SCOPE, async () => { throw new Error('down'); }));
  t.is((await cache.get('k', GLOBAL_SCOPE, async () => answer('ok'))).outcome, 'MISS');
});

test('ETag is a strong validator of the body', (t) => {
  t.is(answer('same').etag, answer('same').etag);
  t.not(answer('same').etag, answer('other').etag);
  t.regex(answer('x').etag, /^"[A-Za-z0-9_-]+"$/);
});

test('stale-if-error: an expired answer is served while the upstream is down, not for other errors', async (t) => {
  const cache = new MetadataCache({ ...config, ttlMs: 20, staleIfErrorMs: 10_000 });
  await cache.get('k', GLOBAL_SCOPE, async () => answer('old'));
  await sleep(40);
  const down = await cache.get('k', GLOBAL_SCOPE, async () => { throw new UpstreamUnreachableError('PACS', 'connection refused'); });
  t.is(down.outcome, 'STALE-IF-ERROR');
  t.is(down.answer.body.toString(), 'old');
  await t.throwsAsync(cache.get('k', GLOBAL_SCOPE, async () => { throw new BadRequestError('X', 'no'); }));
  const back = await cache.get('k', GLOBAL_SCOPE, async () => answer('new'));
  t.is(back.outcome, 'MISS');
  t.is(back.answer.body.toString(), 'new');
  t.is(cache.stats().staleIfError, 1);
});

test('stale-if-error has a limit', async (t) => {
  const cache = new MetadataCache({ ...config, ttlMs: 10, staleIfErrorMs: 10 });
  await cache.get('k', GLOBAL_SCOPE, async () => answer('old'));
  await sleep(40);
  await t.throwsAsync(cache.get('k', GLOBAL_SCOPE, async () => { throw new UpstreamUnreachableError('PACS', 'refused'); }));
});
