/**
 * Downloads into the edge that are running now, one entry per instance, so that
 * every caller wanting an instance (a prefetch, a viewer's retrieve or frames)
 * waits for the one download of it. An entry is either a download of that one
 * instance (abandoned when every waiter left) or a claim on a part of a running
 * series download (settled when its part lands or the series answer ends).
 */
import { abortReason } from '../upstream/errors.js';
import type { EdgeInstance, InstanceUids } from './types.js';

export interface Download {
  promise: Promise<EdgeInstance>;
  /** Aborts the download once no caller waits for it (a series claim ignores it: the series goes on). */
  controller: AbortController;
  waiters: number;
}

/** A download of one instance inside a series answer, settled by the series download. */
export interface SeriesClaim {
  uids: InstanceUids;
  resolve(instance: EdgeInstance): void;
  reject(err: unknown): void;
}

export const keyOf = (u: InstanceUids) => `${u.study}/${u.series}/${u.instance}`;

export class InflightDownloads {
  private readonly byKey = new Map<string, Download>();

  get size(): number {
    return this.byKey.size;
  }

  get(uids: InstanceUids): Download | undefined {
    return this.byKey.get(keyOf(uids));
  }

  has(uids: InstanceUids): boolean {
    return this.byKey.has(keyOf(uids));
  }

  /** Registers a running download of one instance; it leaves the registry when it settles. */
  add(uids: InstanceUids, promise: Promise<EdgeInstance>, controller: AbortController): Download {
    const download = { promise, controller, waiters: 0 };
    this.byKey.set(keyOf(uids), download);
    promise.catch(() => undefined); // every waiter may have left; nobody else must see an unhandled rejection
    return download;
  }

  remove(uids: InstanceUids): void {
    this.byKey.delete(keyOf(uids));
  }

  /** Registers an instance a series download will bring; the entry leaves the registry before its waiters hear the outcome. */
  claim(uids: InstanceUids): SeriesClaim {
    let settle!: { resolve(i: EdgeInstance): void; reject(e: unknown): void };
    const promise = new Promise<EdgeInstance>((resolve, reject) => (settle = { resolve, reject }));
    this.add(uids, promise, new AbortController());
    return {
      uids,
      resolve: (instance) => {
        this.remove(uids);
        settle.resolve(instance);
      },
      reject: (err) => {
        this.remove(uids);
        settle.reject(err);
      },
    };
  }

  /** True while any download into the study runs. */
  inStudy(studyUid: string): boolean {
    const prefix = `${studyUid}/`;
    for (const key of this.byKey.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  promises(): Array<Promise<EdgeInstance>> {
    return [...this.byKey.values()].map((d) => d.promise);
  }

  /** Waits for `download` as one of its callers; leaving (abort) abandons it when nobody else waits. */
  wait(download: Download, signal?: AbortSignal): Promise<EdgeInstance> {
    download.waiters++;
    const leave = () => {
      if (--download.waiters === 0) download.controller.abort();
    };
    if (!signal) return download.promise;
    if (signal.aborted) {
      leave();
      return Promise.reject(abortReason(signal));
    }
    return new Promise<EdgeInstance>((resolve, reject) => {
      const onAbort = () => {
        leave();
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      download.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
