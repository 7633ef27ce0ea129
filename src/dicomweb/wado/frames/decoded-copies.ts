/**
 * Decoded copies of compressed instances whose frames clients ask uncompressed
 * (PS3.18 §8.7.3.5.2 default transfer syntax): after the first such request the
 * whole instance is decoded once, in the background, into a file of native
 * frames (little endian, one after the other), so later requests are positional
 * reads like any native instance instead of a decode per request. On disk
 * (DiskLru, bounded by wado.decodedCacheMaxBytes), never in memory.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { DiskLru, type DiskEntry } from '../../../cache/disk-lru.js';
import { decodeFrame, type FrameGeometry } from '../../../dicom/codecs/frame-decoder.js';
import { readFrame } from './bytes.js';
import { frameCount, frameExtent, type FrameTable, type NativeFrames } from './layout.js';

export interface DecodeSource {
  file: string;
  table: FrameTable;
  storedTransferSyntax: string;
  geometry: FrameGeometry;
}

export class DecodedCopies {
  private disk?: DiskLru<NativeFrames>;
  private readonly failed = new Set<string>();
  /** Copies being written: close() waits for them, so none writes into a folder being removed. */
  private readonly writing = new Set<Promise<unknown>>();
  private closed = false;
  private made = 0;

  constructor(private readonly dir: string, private readonly maxBytes: number, private readonly log: Logger) {}

  /** The decoded copy of the instance `key`, if made. */
  get(key: string): DiskEntry<NativeFrames> | undefined {
    return this.disk?.get(key);
  }

  /** Starts making the decoded copy (once; concurrent calls share the work; a failed instance is not retried). */
  schedule(key: string, source: DecodeSource): void {
    if (this.closed || this.failed.has(key) || this.disk?.get(key)) return;
    const work = this.lru().fetch(key, (temp) => this.write(source, temp)).then(
      () => void this.made++,
      (err: unknown) => {
        if (this.closed) return;
        this.failed.add(key);
        this.log.info({ err: (err as Error).message, key }, 'no decoded copy of this instance; its frames are decoded per request');
      },
    );
    this.writing.add(work);
    void work.finally(() => this.writing.delete(work));
  }

  delete(key: string): void {
    this.disk?.delete(key);
  }

  /** Drops the copies of a study's instances (keys start with `{study}/`). */
  invalidateStudy(studyUid: string): number {
    for (const key of [...this.failed]) if (key.startsWith(`${studyUid}/`)) this.failed.delete(key);
    return this.disk?.deletePrefix(`${studyUid}/`) ?? 0;
  }

  stats(): { entries: number; bytes: number; made: number; failed: number } {
    return { ...(this.disk?.stats() ?? { entries: 0, bytes: 0 }), made: this.made, failed: this.failed.size };
  }

  /** Stops copies being written (they end at their next frame), waits for them, then removes the folder. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.writing]);
    this.disk?.close();
    this.disk = undefined;
  }

  /** Created on first use, so that a gateway that never decodes leaves no folder behind. */
  private lru(): DiskLru<NativeFrames> {
    this.disk ??= new DiskLru<NativeFrames>({ dir: this.dir, maxBytes: this.maxBytes });
    return this.disk;
  }

  private async write(source: DecodeSource, temp: string): Promise<NativeFrames> {
    const count = frameCount(source.table);
    const input = await open(source.file, 'r');
    const output = await open(temp, 'w');
    let frameBytes = 0;
    try {
      for (let frame = 1; frame <= count; frame++) {
        if (this.closed) throw new Error('the gateway is closing');
        const native = await decodeFrame(source.storedTransferSyntax, source.geometry, await readFrame(input, frameExtent(source.table, frame)));
        frameBytes = native.length;
        await output.write(native);
      }
    } finally {
      await input.close();
      await output.close();
    }
    return { kind: 'native', count, valueOffset: 0, frameBits: frameBytes * 8, swapWordBytes: 0 };
  }
}
