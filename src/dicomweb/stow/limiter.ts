/**
 * Bounded concurrency for one STOW-RS request: at most `limit` instances are
 * held (spooled) at once; `admit` waits for a free slot, which is what keeps
 * the reader from spooling more parts than are being worked on. (How many
 * archive requests run at once is the batcher's, batcher.ts.)
 */
export class Limiter {
  private running = 0;
  /** admit() calls that have not started their task yet. */
  private admitting = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  /** True while every slot is taken (a further admit() waits). */
  get saturated(): boolean {
    return this.running >= this.limit;
  }

  /** Resolves once `task` has started (not finished). */
  async admit(task: () => Promise<void>): Promise<void> {
    this.admitting++;
    try {
      while (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    } finally {
      this.admitting--;
    }
    this.running++;
    const run = task()
      .catch(() => undefined)
      .finally(() => {
        this.running--;
        this.tasks.delete(run);
        this.waiting.shift()?.();
      });
    this.tasks.add(run);
  }

  /** Resolves when every admitted task has finished. */
  async drain(): Promise<void> {
    while (this.tasks.size > 0 || this.admitting > 0) {
      if (this.tasks.size > 0) await Promise.all([...this.tasks]);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
