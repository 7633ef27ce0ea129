/**
 * Fetches an instance as stored (PS3.18 §10.4.1.1.1 with `transfer-syntax=*`,
 * so the upstream does not transcode) for rendering in the gateway, bounded in
 * size: rendering needs the whole file in memory. Recently fetched instances
 * are kept briefly, so rendering several frames of one instance (a client
 * scrolling a multi-frame image) downloads it once.
 */
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import type { EdgeCache } from '../../../edge/types.js';
import type { Dispatcher } from 'undici';
import { boundaryOf, readMultipart } from '../../../http/multipart.js';
import { MultipartFormatError } from '../../../http/multipart-scanner.js';
import { GatewayError, UpstreamFailureError } from '../../../http/errors.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { isAbortError, mapTransportError } from '../../../upstream/errors.js';
import { CannotRenderError, instanceNotFound } from './errors.js';
import { instancePath, type InstanceRef } from './instance-info.js';
import { readBounded } from './read-bounded.js';
import { SharedWork } from './shared-work.js';

const STORED_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const KEEP_MS = 60_000;

function tooLarge(size: number, maxBytes: number): CannotRenderError {
  return new CannotRenderError('TOO_LARGE_TO_RENDER', `The instance is too large to render in the gateway (${size} bytes; the limit is ${maxBytes}, wado.renderedMaxInstanceBytes). The archive itself cannot render it either.`);
}

async function firstPart(res: Dispatcher.ResponseData, boundary: string, maxBytes: number, upstreamName: string): Promise<Buffer> {
  let first: Buffer | undefined;
  try {
    await readMultipart(res.body, boundary, {
      async onPart(part) {
        if (first) return void part.body.resume();
        first = await readBounded(part.body, maxBytes, (size) => tooLarge(size, maxBytes));
      },
    });
  } catch (err) {
    if (err instanceof GatewayError || isAbortError(err)) throw err;
    // Socket-level failures carry a code; a malformed body is the archive's answer, not the connection.
    if (!(err instanceof MultipartFormatError) && typeof (err as { code?: unknown }).code === 'string') throw mapTransportError(err, upstreamName);
    throw new UpstreamFailureError(upstreamName, 'sent a malformed multipart answer for the instance.', 502, 'UPSTREAM_BAD_RESPONSE');
  }
  if (!first) throw new UpstreamFailureError(upstreamName, 'sent an empty multipart answer for the instance.', 502, 'UPSTREAM_BAD_RESPONSE');
  return first;
}

export async function downloadStoredInstance(upstream: UpstreamClient, ref: InstanceRef, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const res = await upstream.request({ path: instancePath(ref), headers: { accept: STORED_ACCEPT }, ...(signal ? { signal } : {}) });
  if (res.statusCode === 404) {
    await res.body.dump();
    throw instanceNotFound(`instance ${ref.instance} in series ${ref.series} of study ${ref.study}`);
  }
  if (res.statusCode >= 400) throw await upstream.failure(res);
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes + 64 * 1024) {
    res.body.destroy();
    throw tooLarge(declared, maxBytes);
  }
  const contentType = String(res.headers['content-type'] ?? '');
  const boundary = boundaryOf(contentType);
  if (boundary) return firstPart(res, boundary, maxBytes, upstream.name);
  if (contentType.startsWith('application/dicom')) return readBounded(res.body, maxBytes, (size) => tooLarge(size, maxBytes));
  await res.body.dump();
  throw new UpstreamFailureError(upstream.name, `answered the instance retrieve with "${contentType.slice(0, 80)}" instead of multipart/related.`, 502, 'UPSTREAM_BAD_RESPONSE');
}

export class StoredInstances {
  private readonly recent: LRUCache<string, Buffer>;
  private readonly downloads = new SharedWork<Buffer>();

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly maxBytes: number,
    /** Prefetched instances are read from the edge cache instead of the archive. */
    private readonly edge?: EdgeCache,
  ) {
    this.recent = new LRUCache<string, Buffer>({ maxSize: 2 * maxBytes, sizeCalculation: (b) => Math.max(1, b.length), ttl: KEEP_MS });
  }

  async get(ref: InstanceRef, signal?: AbortSignal): Promise<Buffer> {
    const key = instancePath(ref);
    const cached = this.recent.get(key);
    if (cached) return cached;
    return this.downloads.run(key, signal, async (shared) => {
      const data = (await this.fromEdge(ref)) ?? (await downloadStoredInstance(this.upstream, ref, this.maxBytes, shared));
      this.recent.set(key, data);
      return data;
    });
  }

  clear(): void {
    this.recent.clear();
  }

  /** The instance's bytes from the edge cache (checked per edge.verify), when it holds them within the size bound. */
  private async fromEdge(ref: InstanceRef): Promise<Buffer | undefined> {
    const held = await this.edge?.getInstance(ref);
    if (!held) return undefined;
    if (held.size > this.maxBytes) throw tooLarge(held.size, this.maxBytes);
    try {
      return await readFile(held.path);
    } catch {
      return undefined; // evicted meanwhile: the archive is asked
    }
  }
}
