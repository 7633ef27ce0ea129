/**
 * What is known about the upstream's health, for /readyz, /status and the
 * circuit-open message: last success, last error, latency, circuit state.
 */
export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface UpstreamHealthSnapshot {
  name: string;
  circuit: CircuitStateName;
  circuitSince: string;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  /** Exponentially weighted mean time to response headers, in ms. */
  latencyMs: number | null;
  requests: number;
  failures: number;
}

const EWMA_WEIGHT = 0.2;

export class UpstreamHealth {
  private circuit: CircuitStateName = 'closed';
  private circuitSince = new Date();
  private lastSuccessAt: Date | null = null;
  private lastErrorAt: Date | null = null;
  private lastError: string | null = null;
  private latencyMs: number | null = null;
  private requests = 0;
  private failures = 0;

  constructor(readonly name: string) {}

  recordSuccess(ms: number): void {
    this.requests++;
    this.lastSuccessAt = new Date();
    this.latencyMs = this.latencyMs === null ? ms : this.latencyMs + EWMA_WEIGHT * (ms - this.latencyMs);
  }

  recordFailure(message: string): void {
    this.requests++;
    this.failures++;
    this.lastErrorAt = new Date();
    this.lastError = message;
  }

  setCircuit(state: CircuitStateName): void {
    if (state === this.circuit) return;
    this.circuit = state;
    this.circuitSince = new Date();
  }

  get circuitState(): CircuitStateName {
    return this.circuit;
  }

  get openSince(): Date {
    return this.circuitSince;
  }

  get lastErrorMessage(): string | undefined {
    return this.lastError ?? undefined;
  }

  snapshot(): UpstreamHealthSnapshot {
    return {
      name: this.name,
      circuit: this.circuit,
      circuitSince: this.circuitSince.toISOString(),
      lastSuccessAt: this.lastSuccessAt?.toISOString() ?? null,
      lastErrorAt: this.lastErrorAt?.toISOString() ?? null,
      lastError: this.lastError,
      latencyMs: this.latencyMs === null ? null : Math.round(this.latencyMs * 10) / 10,
      requests: this.requests,
      failures: this.failures,
    };
  }
}
