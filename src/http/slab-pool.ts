/**
 * Read buffers reused once every chunk cut from them has been written out:
 * the bulk transport's socket reads (src/upstream/bulk/) and the edge cache's
 * file reads (src/edge/multipart-body.ts). Why: a relay that takes fresh
 * memory for every MiB makes V8 run a full (mark-compact) collection every
 * ~64 MB of external memory, which costs more the larger the heap (the
 * gateway's caches), and touches cold pages on every read. With reuse, a
 * minimal 1 MiB relay of a 105 MB series went from 970 to 1200 MB/s
 * (bench/README.md, "Bulk transport").
 *
 * Safe by construction: a slab returns to the pool only when its reader has
 * moved on from it (retire) and each chunk handed out of it (hold) has been
 * given back (release) by a consumer that no longer reads it, i.e. after a
 * socket write completed (stream-response.ts). Chunks never given back (a
 * consumer that keeps or forwards them elsewhere) just leave their slab to
 * the garbage collector.
 */

/** Size of one read: of 256 KiB, 1 MiB and 4 MiB, 1 MiB relayed fastest. */
export const SLAB_BYTES = 1024 * 1024;
/** Slabs kept for reuse (8 MiB). */
export const MAX_FREE_SLABS = 8;

interface SlabState {
  slab: Buffer;
  held: number;
  retired: boolean;
}

export class SlabPool {
  private readonly free: Buffer[] = [];
  private readonly states = new WeakMap<ArrayBufferLike, SlabState>();
  private readonly heldChunks = new WeakSet<Buffer>();

  /**
   * @param slabBytes size of one slab
   * @param maxFree slabs kept for reuse; beyond that, released slabs are left to the GC
   */
  constructor(readonly slabBytes: number, private readonly maxFree: number) {}

  /** A slab to read into: a reused one when there is one. */
  take(): Buffer {
    const slab = this.free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
    this.states.set(slab.buffer, { slab, held: 0, retired: false });
    return slab;
  }

  /** The reader will write no more into this slab. */
  retire(slab: Buffer): void {
    const state = this.states.get(slab.buffer);
    if (!state || state.retired) return;
    state.retired = true;
    this.recycle(state);
  }

  /** `chunk` (a view of a slab) is handed to a consumer, which may give it back with release(). */
  hold(chunk: Buffer): void {
    const state = this.states.get(chunk.buffer);
    if (!state || this.heldChunks.has(chunk)) return;
    this.heldChunks.add(chunk);
    state.held++;
  }

  /** The consumer is done with `chunk`: no reference to its bytes remains. Anything else is ignored. */
  release(chunk: Buffer): void {
    if (!this.heldChunks.delete(chunk)) return;
    const state = this.states.get(chunk.buffer);
    if (!state) return;
    state.held--;
    this.recycle(state);
  }

  /** Slabs waiting for reuse (for tests and metrics). */
  get freeCount(): number {
    return this.free.length;
  }

  private recycle(state: SlabState): void {
    if (!state.retired || state.held > 0) return;
    this.states.delete(state.slab.buffer);
    if (this.free.length < this.maxFree) this.free.push(state.slab);
  }
}

/** A new slab is taken when less than this is left in the current one. */
const MIN_FREE_BYTES = 64 * 1024;

/**
 * Consecutive reads into the free end of one slab, then the next: many small
 * reads (a socket's, or small files one after another) share a slab, so what
 * a slow reader pins is about what it has buffered, not one slab per chunk.
 */
export class SlabCursor {
  private slab: Buffer | undefined;
  private used = 0;

  constructor(private readonly pool: SlabPool) {
    this.slab = pool.take();
  }

  /**
   * Where the next read goes: the current slab's free end, or a new slab when
   * less than 64 KiB is free there, or less than `wanted` (capped at a slab)
   * while a new slab would take it in one read.
   */
  space(wanted = MIN_FREE_BYTES): Buffer {
    if (!this.slab) throw new Error('the slab cursor is closed');
    const free = this.slab.length - this.used;
    if (free < Math.max(MIN_FREE_BYTES, Math.min(wanted, this.pool.slabBytes))) {
      this.pool.retire(this.slab);
      this.slab = this.pool.take();
      this.used = 0;
    }
    return this.slab.subarray(this.used);
  }

  /** `bytes` of the space were filled: the next read goes after them. */
  advance(bytes: number): void {
    this.used += bytes;
  }

  get closed(): boolean {
    return this.slab === undefined;
  }

  /** Idempotent: the current slab is retired (reused once its held chunks are released). */
  close(): void {
    if (this.slab) this.pool.retire(this.slab);
    this.slab = undefined;
  }
}
