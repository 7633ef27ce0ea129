/**
 * Groups the validated instances of one STOW-RS request into archive requests
 * of several instances each (PS3.18 §10.5 takes any number of instances per
 * request, and answers per instance, Annex I). An archive spends less per
 * instance on one request of several than on one request each (Orthanc about a
 * quarter less), and so does the gateway.
 *
 * A batch goes out when it is full (instances or bytes), or, partly filled,
 * when nothing else can join it soon: no instance is being checked and the
 * request's intake has either ended or is waiting for room (the caller's
 * `mayFlushPartial`). At most `slots` batches are in flight; while they are,
 * newly checked instances wait and so join the next batch.
 */
export interface BatchLimits {
  /** Batches sent at once. */
  slots: number;
  /** Instances in one batch. */
  maxInstances: number;
  /** Bytes in one batch (a larger instance goes alone). */
  maxBytes: number;
}

interface Queued<T, R> {
  item: T;
  size: number;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class StoreBatcher<T, R> {
  private readonly queue: Array<Queued<T, R>> = [];
  private queuedBytes = 0;
  private inFlight = 0;

  /**
   * `send` answers one result per item, in order; when it rejects, every item
   * of the batch rejects with its error.
   */
  constructor(
    private readonly send: (items: T[]) => Promise<R[]>,
    private readonly limits: BatchLimits,
    private readonly mayFlushPartial: () => boolean,
  ) {}

  /** Queues the item; resolves with its result once its batch was answered. */
  submit(item: T, size: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, size, resolve, reject });
      this.queuedBytes += size;
      this.pump();
    });
  }

  /** Sends what may be sent now; call it whenever `mayFlushPartial` may have turned true. */
  pump(): void {
    while (this.inFlight < this.limits.slots && this.queue.length > 0 && (this.full() || this.mayFlushPartial())) {
      this.dispatch(this.takeBatch());
    }
  }

  private full(): boolean {
    return this.queue.length >= this.limits.maxInstances || this.queuedBytes >= this.limits.maxBytes;
  }

  private takeBatch(): Array<Queued<T, R>> {
    const batch: Array<Queued<T, R>> = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.limits.maxInstances) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.size > this.limits.maxBytes) break;
      batch.push(this.queue.shift()!);
      bytes += next.size;
    }
    this.queuedBytes -= bytes;
    return batch;
  }

  private dispatch(batch: Array<Queued<T, R>>): void {
    this.inFlight++;
    this.send(batch.map((q) => q.item))
      .then(
        (results) => batch.forEach((q, i) => q.resolve(results[i]!)),
        (err: unknown) => batch.forEach((q) => q.reject(err)),
      )
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }
}
