/**
 * The server-sent event stream of a job, served by a bare koa app from a
 * scripted event source: snapshot, heartbeats, throttled progress (transitions
 * never held back), end then close; no listener left after a client leaves or
 * the gateway drains.
 */
import test from 'ava';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { request } from 'undici';
import { streamJobEvents, type JobEventSource } from '../../src/prefetch/events.js';
import type { JobEvent } from '../../src/prefetch/tracker.js';
import { emptyCounts, type PrefetchJob } from '../../src/prefetch/types.js';

const at = new Date().toISOString();
const JOB: PrefetchJob = { id: '00000000-0000-4000-8000-00000000000e', status: 'running', patient: { id: 'P' }, pacsIdentities: [], criteria: {}, counts: emptyCounts(), message: 'Fetching', warnings: [], createdBy: 'u', baseUrl: '', studiesListed: true, createdAt: at, updatedAt: at };

class Source implements JobEventSource {
  readonly emitter = new EventEmitter();
  job: PrefetchJob = { ...JOB };
  subscribe(id: string, listener: (e: JobEvent) => void) {
    this.emitter.on(id, listener);
    return () => this.emitter.off(id, listener);
  }
  onClose(listener: () => void) {
    this.emitter.once('close', listener);
    return () => this.emitter.off('close', listener);
  }
  async get() {
    return { job: this.job, studies: [] };
  }
  emit(e: JobEvent) {
    this.emitter.emit(JOB.id, e);
  }
  get listeners() {
    return this.emitter.listenerCount(JOB.id);
  }
}

async function serve(t: { teardown(fn: () => void): void }, source: Source, lifecycle = { draining: false }) {
  const app = new Koa();
  app.silent = true; // a client leaving mid-stream is not an error worth printing
  app.use(async (ctx) => streamJobEvents(ctx, source, { job: source.job, studies: [] }, 'http://gw', lifecycle, { throttleMs: 100, heartbeatMs: 30, drainCheckMs: 10 }));
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function parse(text: string): Array<{ event: string; data: { message?: string } }> {
  return text.split('\n\n').map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? '', data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as { message?: string } })).filter((e) => e.event);
}

const progress = (message: string, transition = false): JobEvent => ({ type: 'progress', transition, job: { ...JOB, message } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('snapshot, heartbeats, throttled progress with transitions at once, then end and close', async (t) => {
  const source = new Source();
  const url = await serve(t, source);
  const res = await request(url);
  t.regex(String(res.headers['content-type']), /^text\/event-stream/);
  const reading = res.body.text();
  while (source.listeners === 0) await sleep(5);
  for (let i = 1; i <= 20; i++) source.emit(progress(`image ${i}`));
  source.emit(progress('study 1 done', true));
  await sleep(70); // a heartbeat or two
  for (let i = 21; i <= 25; i++) source.emit(progress(`image ${i}`));
  await sleep(150); // the trailing progress of a burst is sent after the throttle window
  source.job = { ...JOB, status: 'done', message: 'Done' };
  source.emit({ type: 'end', job: source.job });
  const text = await reading;
  const events = parse(text);
  t.is(events[0]?.event, 'snapshot');
  t.is(events.at(-1)?.event, 'end');
  t.is(events.at(-1)?.data.message, 'Done');
  const messages = events.filter((e) => e.event === 'progress').map((e) => e.data.message);
  t.true(messages.includes('study 1 done'), 'a transition is never dropped');
  t.true(messages.includes('image 25'), 'the last progress of a burst arrives');
  t.true(messages.length <= 5, `throttled: ${messages.join(', ')}`);
  t.regex(text, /: heartbeat\n\n/);
  t.is(source.listeners, 0, 'unsubscribed after end');
});

test('a client that leaves, or a draining gateway, leaves no listener behind', async (t) => {
  const source = new Source();
  const url = await serve(t, source);
  const controller = new AbortController();
  const res = await request(url, { signal: controller.signal });
  res.body.on('error', () => undefined);
  while (source.listeners === 0) await sleep(5);
  controller.abort();
  while (source.listeners > 0) await sleep(5);
  t.pass('unsubscribed after the client left');

  const lifecycle = { draining: false };
  const drainingUrl = await serve(t, source, lifecycle);
  const second = await request(drainingUrl);
  const text = second.body.text();
  while (source.listeners === 0) await sleep(5);
  lifecycle.draining = true;
  t.is(parse(await text)[0]?.event, 'snapshot');
  t.is(source.listeners, 0, 'the stream ended when the gateway began draining');
});

test('a job already finished gets snapshot and end at once', async (t) => {
  const source = new Source();
  source.job = { ...JOB, status: 'partial', message: 'Partial' };
  const url = await serve(t, source);
  const events = parse(await (await request(url)).body.text());
  t.deepEqual(events.map((e) => e.event), ['snapshot', 'end']);
  t.is(source.listeners, 0);
});
