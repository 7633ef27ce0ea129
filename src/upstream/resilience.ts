/**
 * Resilience policies around every upstream request, from cockatiel:
 * - a bulkhead per route class (a flood of frame requests cannot starve QIDO);
 * - a circuit breaker per upstream (after repeated outages, fail fast with 503
 *   and let one probe through every breakerHalfOpenAfterMs until it recovers);
 * - retries with exponential backoff and full jitter for idempotent requests
 *   only, honouring Retry-After, within a retry budget. STOW is never retried.
 */
import {
  BrokenCircuitError, BulkheadRejectedError, CircuitState, ConsecutiveBreaker, DelegateBackoff,
  bulkhead, circuitBreaker, handleWhen, retry, type BulkheadPolicy, type CircuitBreakerPolicy, type IRetryBackoffContext, type RetryPolicy,
} from 'cockatiel';
import type { GatewayConfig } from '../config/schema.js';
import { RetryBudget } from './retry-budget.js';
import { UpstreamHealth, type CircuitStateName } from './health.js';
import { CircuitOpenError, GatewayBusyError, RetryableStatusError, finalError, isOutage, isRetryable } from './outcomes.js';

export type RouteClass = 'search' | 'metadata' | 'retrieve' | 'frames' | 'rendered' | 'store';
const ROUTE_CLASSES: readonly RouteClass[] = ['search', 'metadata', 'retrieve', 'frames', 'rendered', 'store'];

/** Hooks for metrics; all optional. */
export interface ResilienceObserver {
  onRetry?(routeClass: RouteClass): void;
  onCircuit?(state: CircuitStateName): void;
  onRejected?(routeClass: RouteClass): void;
  /** One logical request ended: 'ok' or the error code the client got. */
  onRequest?(routeClass: RouteClass, outcome: string, seconds: number): void;
}

const CIRCUIT_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

export class UpstreamResilience {
  readonly health: UpstreamHealth;
  private readonly bulkheads: Record<RouteClass, BulkheadPolicy>;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retry: RetryPolicy;
  private readonly budget: RetryBudget;

  constructor(private readonly config: GatewayConfig['upstream'], private readonly observer: ResilienceObserver = {}) {
    this.health = new UpstreamHealth(config.name);
    this.bulkheads = Object.fromEntries(ROUTE_CLASSES.map((c) => [c, bulkhead(config.bulkhead[c], config.bulkhead.queue)])) as Record<RouteClass, BulkheadPolicy>;
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: config.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(config.breakerThreshold),
    });
    this.breaker.onStateChange((state) => {
      this.health.setCircuit(CIRCUIT_NAMES[state]);
      observer.onCircuit?.(CIRCUIT_NAMES[state]);
    });
    this.budget = new RetryBudget({ ratio: config.retryBudgetRatio, minimum: config.retryBudgetMinimum });
    this.retry = retry(handleWhen((err) => isRetryable(err, config.retryMaxDelayMs) && this.budget.tryRetry()), {
      maxAttempts: config.retries,
      backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => this.delayFor(ctx)),
    });
  }

  /** Full-jitter exponential backoff; an upstream Retry-After (within the maximum) wins. */
  private delayFor(ctx: IRetryBackoffContext<unknown>): number {
    const err = 'error' in ctx.result ? ctx.result.error : undefined;
    if (err instanceof RetryableStatusError && err.retryAfterMs !== undefined) return err.retryAfterMs;
    const ceiling = Math.min(this.config.retryMaxDelayMs, this.config.retryInitialDelayMs * 2 ** (ctx.attempt - 1));
    return Math.random() * ceiling;
  }

  /**
   * Runs one logical upstream request. `attempt` performs one try and must throw
   * RetryableStatusError (body consumed) for retryable statuses of idempotent requests.
   */
  async run<T>(routeClass: RouteClass, idempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    this.budget.recordRequest();
    const started = performance.now();
    let tries = 0;
    const counted = () => {
      if (tries++ > 0) this.observer.onRetry?.(routeClass);
      return attempt();
    };
    try {
      const result = await this.bulkheads[routeClass].execute(() =>
        this.breaker.execute(() => (idempotent ? this.retry.execute(counted) : counted())),
      );
      const ms = performance.now() - started;
      this.health.recordSuccess(ms);
      this.observer.onRequest?.(routeClass, 'ok', ms / 1000);
      return result;
    } catch (err) {
      const translated = this.translate(err, routeClass);
      const code = (translated as { code?: unknown }).code;
      this.observer.onRequest?.(routeClass, typeof code === 'string' ? code : 'error', (performance.now() - started) / 1000);
      throw translated;
    }
  }

  private translate(err: unknown, routeClass: RouteClass): unknown {
    if (err instanceof BulkheadRejectedError) {
      this.observer.onRejected?.(routeClass);
      return new GatewayBusyError(routeClass);
    }
    if (err instanceof BrokenCircuitError) {
      return new CircuitOpenError(this.config.name, this.health.openSince, this.health.lastErrorMessage, Math.ceil(this.config.breakerHalfOpenAfterMs / 1000));
    }
    const final = finalError(err, this.config.name);
    if (isOutage(err) || final !== err) this.health.recordFailure((final as Error).message);
    return final;
  }

  get circuit(): CircuitStateName {
    return this.health.circuitState;
  }
}
