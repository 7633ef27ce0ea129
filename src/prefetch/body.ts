/**
 * Reads the small JSON body of POST /api/prefetch (koa parses no bodies):
 * application/json only (415 otherwise), bounded (413), valid JSON (400).
 */
import type { Context } from 'koa';
import { BadRequestError } from '../http/errors.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

export async function readJsonBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (!ctx.is('application/json', '+json')) {
    throw new UnsupportedMediaTypeError(`Send the prefetch request as JSON (Content-Type: application/json), not "${(ctx.get('content-type') || 'none').slice(0, 80)}".`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      ctx.set('Connection', 'close');
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new BadRequestError('PREFETCH_BAD_REQUEST', 'The request body is empty; send { "patient": { "id": "..." } }.', { parameter: 'body' });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError('PREFETCH_BAD_REQUEST', `The request body is not valid JSON: ${(err as Error).message.slice(0, 120)}.`, { parameter: 'body' });
  }
}
