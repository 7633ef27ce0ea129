/**
 * GET /api/prefetch/{id}/events: the job as server-sent events (HTML Living
 * Standard §9.2, text/event-stream). `snapshot` (the whole job) first, then
 * `progress` (status, message, counts, the study that changed; at most every
 * `throttleMs`, but at once for each job or study transition), then `end` (the
 * whole job) and the stream closes. A comment line every `heartbeatMs` keeps
 * proxies from timing the stream out. The stream also ends when the client
 * goes, the gateway drains or closes; nothing stays subscribed after.
 */
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Lifecycle } from '../services.js';
import type { PrefetchManager } from './manager.js';
import { isFinished } from './state-machine.js';
import type { JobEvent } from './tracker.js';
import type { JobStudy, PrefetchJob } from './types.js';
import { jobView, progressView } from './view.js';

export interface EventStreamOptions {
  throttleMs?: number;
  heartbeatMs?: number;
  /** How often the stream checks whether the gateway is draining. */
  drainCheckMs?: number;
}

export type JobEventSource = Pick<PrefetchManager, 'subscribe' | 'onClose' | 'get'>;
type Progress = Extract<JobEvent, { type: 'progress' }>;
type JobState = { job: PrefetchJob; studies: JobStudy[] };

/** Progress events are dropped (the next one carries the latest state) while this much is unsent. */
const MAX_BUFFERED_BYTES = 256 * 1024;

export function frame(event: string, id: number, data: unknown): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

class JobEventStream {
  readonly body = new PassThrough();
  private seq = 0;
  private lastProgress = 0;
  private pending?: Progress;
  private trailing?: NodeJS.Timeout;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly source: JobEventSource, private readonly jobId: string, private readonly apiRoot: string, private readonly throttleMs: number) {}

  private write(text: string): void {
    if (!this.body.writableEnded && !this.body.destroyed) this.body.write(text);
  }

  send(event: 'snapshot' | 'end', state: JobState): void {
    this.write(frame(event, ++this.seq, jobView(state.job, state.studies, this.apiRoot)));
  }

  close = (): void => {
    clearTimeout(this.trailing);
    for (const t of this.timers) clearInterval(t);
    for (const c of this.cleanups.splice(0)) c();
    if (!this.body.writableEnded && !this.body.destroyed) this.body.end();
  };

  /** Subscribes, starts heartbeats and the drain check; ends on `end`, client close, drain or gateway close. */
  follow(lifecycle: Lifecycle, heartbeatMs: number, drainCheckMs: number, req: Context['req']): void {
    this.cleanups.push(this.source.subscribe(this.jobId, this.onEvent), this.source.onClose(this.close));
    this.timers.push(setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs));
    this.timers.push(setInterval(() => lifecycle.draining && this.close(), drainCheckMs));
    this.body.once('close', this.close);
    req.once('close', this.close);
    // The job may have ended between the snapshot and the subscription.
    void this.source.get(this.jobId).then((now) => now && isFinished(now.job.status) && this.onEvent({ type: 'end', job: now.job })).catch(this.close);
  }

  private sendProgress(event: Progress): void {
    this.pending = undefined;
    this.lastProgress = Date.now();
    if (this.body.writableLength > MAX_BUFFERED_BYTES && !event.transition) return;
    this.write(frame('progress', ++this.seq, progressView(event.job, event.study)));
  }

  private onEvent = (event: JobEvent): void => {
    clearTimeout(this.trailing);
    if (event.type === 'end') {
      void this.source.get(this.jobId).catch(() => undefined).then((final) => this.send('end', final ?? { job: event.job, studies: [] })).catch(() => undefined).finally(this.close);
      return;
    }
    const wait = this.throttleMs - (Date.now() - this.lastProgress);
    if (event.transition || wait <= 0) return this.sendProgress(event);
    this.pending = event;
    this.trailing = setTimeout(() => this.pending && this.sendProgress(this.pending), wait);
  };
}

export function streamJobEvents(ctx: Context, source: JobEventSource, initial: JobState, apiRoot: string, lifecycle: Lifecycle, options: EventStreamOptions = {}): void {
  const stream = new JobEventStream(source, initial.job.id, apiRoot, options.throttleMs ?? 250);
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
  ctx.req.socket.setNoDelay(true);
  ctx.body = stream.body;
  stream.body.write('retry: 5000\n\n');
  stream.send('snapshot', initial);
  if (isFinished(initial.job.status)) {
    stream.send('end', initial);
    return stream.close();
  }
  stream.follow(lifecycle, options.heartbeatMs ?? 15_000, options.drainCheckMs ?? 1000, ctx.req);
}
