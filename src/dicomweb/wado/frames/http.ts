/**
 * Koa plumbing shared by the frame and bulk data handlers: an AbortSignal that
 * fires when the client goes away before its answer is complete (so the upstream
 * request is abandoned too), and writing a StreamAnswer.
 */
import type { Context } from 'koa';
import { CACHE_HEADER } from '../../../http/send-answer.js';
import type { StreamAnswer } from './answer.js';

export function clientAbortSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function sendStreamAnswer(ctx: Context, answer: StreamAnswer): void {
  ctx.status = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
  ctx.set(CACHE_HEADER, answer.source);
  // Pixel data is PHI: never in shared caches.
  ctx.set('Cache-Control', 'private');
  ctx.vary('Accept');
  ctx.body = answer.body;
  // Koa drops the length of a stream body; it is known and lets the client see a cut answer as such.
  const length = answer.headers['Content-Length'];
  if (length !== undefined) ctx.length = Number(length);
}
