import test from 'ava';
import { NotFoundError, UpstreamFailureError, UpstreamUnreachableError } from '../../src/http/errors.js';
import { backoffDelay, isRetryableFailure, sleep, withRetry, type RetryNotice } from '../../src/prefetch/retry.js';
import { CircuitOpenError, GatewayBusyError } from '../../src/upstream/outcomes.js';

const POLICY = { retries: 3, initialDelayMs: 1, maxDelayMs: 4 };

test('archive failures are retried; not-found, rejections and aborts are not', (t) => {
  t.true(isRetryableFailure(new UpstreamUnreachableError('PACS', 'connection refused')));
  t.true(isRetryableFailure(new CircuitOpenError('PACS', new Date(), undefined, 2)));
  t.true(isRetryableFailure(new GatewayBusyError('retrieve')));
  t.true(isRetryableFailure(new UpstreamFailureError('PACS', 'failed (HTTP 500).')));
  t.false(isRetryableFailure(new UpstreamFailureError('PACS', 'rejected the request (HTTP 400).', 502, 'UPSTREAM_REJECTED')));
  t.false(isRetryableFailure(new NotFoundError('gone')));
  t.false(isRetryableFailure(Object.assign(new Error('aborted'), { name: 'AbortError' })));
  t.false(isRetryableFailure(new Error('bug')));
});

test('backoff doubles up to the maximum, with jitter between half and all of it', (t) => {
  const policy = { retries: 10, initialDelayMs: 500, maxDelayMs: 30_000 };
  const low = { ...policy, random: () => 0 };
  const high = { ...policy, random: () => 1 };
  t.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(high, n)), [500, 1000, 2000, 4000]);
  t.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(low, n)), [250, 500, 1000, 2000]);
  t.is(backoffDelay(high, 12), 30_000);
  t.is(backoffDelay(low, 12), 15_000);
  t.is(backoffDelay(high, 1, new UpstreamFailureError('PACS', 'busy', 503, 'UPSTREAM_UNAVAILABLE', { retryAfterSeconds: 7 })), 7000, 'Retry-After wins');
  t.is(backoffDelay(high, 1, new UpstreamFailureError('PACS', 'busy', 503, 'UPSTREAM_UNAVAILABLE', { retryAfterSeconds: 60 })), 500, 'unless beyond the maximum');
});

test('withRetry: succeeds after failures, tells each retry, gives up after the last', async (t) => {
  let calls = 0;
  const notices: RetryNotice[] = [];
  const value = await withRetry(POLICY, async () => {
    if (++calls < 3) throw new UpstreamUnreachableError('PACS', 'connection refused');
    return 'ok';
  }, undefined, (n) => notices.push(n));
  t.is(value, 'ok');
  t.deepEqual(notices.map((n) => [n.attempt, n.of]), [[2, 4], [3, 4]]);

  calls = 0;
  await t.throwsAsync(withRetry(POLICY, async () => {
    calls++;
    throw new UpstreamUnreachableError('PACS', 'connection refused');
  }), { instanceOf: UpstreamUnreachableError });
  t.is(calls, 4, 'first attempt + 3 retries');

  calls = 0;
  await t.throwsAsync(withRetry(POLICY, async () => {
    calls++;
    throw new NotFoundError('gone');
  }), { instanceOf: NotFoundError });
  t.is(calls, 1, 'no retry for not found');
});

test('withRetry and sleep stop at once when aborted', async (t) => {
  const controller = new AbortController();
  const slow = { retries: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 };
  const running = withRetry(slow, async () => {
    throw new UpstreamUnreachableError('PACS', 'connection refused');
  }, controller.signal);
  setTimeout(() => controller.abort('cancelled'), 10);
  const err = await t.throwsAsync(running);
  t.is(err?.name, 'AbortError');
  t.is(err?.message, 'cancelled');
  await t.throwsAsync(sleep(10, AbortSignal.abort()), { name: 'AbortError' });
});
