/**
 * Caps retries to a share of recent requests (a token-bucket-like budget over a
 * sliding window), so that when the PACS struggles the gateway does not
 * multiply its load: beyond the budget, failures go straight to the client.
 */
export interface RetryBudgetOptions {
  /** Retries allowed as a share of requests in the window. */
  ratio: number;
  /** Retries always allowed per window, however few requests there were. */
  minimum: number;
  windowMs?: number;
  now?: () => number;
}

export class RetryBudget {
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart: number;
  private requests = 0;
  private retries = 0;

  constructor(private readonly options: RetryBudgetOptions) {
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.windowStart = this.now();
  }

  private roll(): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.requests = 0;
      this.retries = 0;
    }
  }

  recordRequest(): void {
    this.roll();
    this.requests++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    this.roll();
    if (this.retries >= Math.max(this.options.minimum, this.options.ratio * this.requests)) return false;
    this.retries++;
    return true;
  }
}
