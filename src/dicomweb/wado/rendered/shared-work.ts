/**
 * Coalesces concurrent identical work (one upstream render or download for
 * many waiting clients) while keeping client disconnects meaningful: the work
 * is aborted only when every client waiting for it has gone.
 */
interface Job<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SharedWork<T> {
  private readonly inflight = new Map<string, Job<T>>();

  get size(): number {
    return this.inflight.size;
  }

  /** Joins the running job for `key`, or starts `work`; `signal` is this caller's client. */
  run(key: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let job = this.inflight.get(key);
    if (!job) {
      const controller = new AbortController();
      const started: Job<T> = { controller, waiters: 0, promise: Promise.resolve(undefined as T) };
      started.promise = work(controller.signal).finally(() => {
        if (this.inflight.get(key) === started) this.inflight.delete(key);
      });
      // Every waiter may leave before it settles; its rejection must still count as handled.
      started.promise.catch(() => undefined);
      this.inflight.set(key, started);
      job = started;
    }
    job.waiters++;
    return this.wait(job, signal);
  }

  private wait(job: Job<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return job.promise;
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        job.waiters--;
        if (job.waiters === 0) job.controller.abort(signal.reason);
        reject(Object.assign(new Error('the client went away'), { name: 'AbortError' }));
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      job.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(err);
        },
      );
    });
  }
}
