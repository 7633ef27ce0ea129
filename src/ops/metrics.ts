/**
 * Prometheus metrics (prom-client), one registry per gateway instance.
 * Names follow Prometheus conventions; every label set is bounded (routes are
 * route templates, never raw paths with UIDs).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResilienceObserver, RouteClass } from '../upstream/resilience.js';
import type { CircuitStateName } from '../upstream/health.js';

const CIRCUIT_VALUES: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

export class GatewayMetrics implements ResilienceObserver {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'gateway_http_requests_total', help: 'Client requests by route template, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({ name: 'gateway_http_request_duration_seconds', help: 'Client request duration until the response ended', labelNames: ['route', 'method'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'gateway_http_requests_in_flight', help: 'Client requests being served', registers: [this.registry] });
  readonly bytesSent = new Counter({ name: 'gateway_http_response_bytes_total', help: 'Response body bytes sent to clients, by route template', labelNames: ['route'] as const, registers: [this.registry] });
  readonly upstreamRequests = new Counter({ name: 'gateway_upstream_requests_total', help: 'Upstream requests by route class and outcome (ok or error code)', labelNames: ['upstream', 'class', 'outcome'] as const, registers: [this.registry] });
  readonly upstreamDuration = new Histogram({ name: 'gateway_upstream_request_duration_seconds', help: 'Time to upstream response headers, by route class', labelNames: ['upstream', 'class'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly upstreamRetries = new Counter({ name: 'gateway_upstream_retries_total', help: 'Retries of idempotent upstream requests', labelNames: ['upstream', 'class'] as const, registers: [this.registry] });
  readonly upstreamRejected = new Counter({ name: 'gateway_upstream_bulkhead_rejections_total', help: 'Requests refused because the route class bulkhead and its queue were full', labelNames: ['upstream', 'class'] as const, registers: [this.registry] });
  readonly circuitState = new Gauge({ name: 'gateway_upstream_circuit_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', labelNames: ['upstream'] as const, registers: [this.registry] });

  constructor(private readonly upstreamName: string) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    this.circuitState.set({ upstream: upstreamName }, 0);
  }

  onRetry(routeClass: RouteClass): void {
    this.upstreamRetries.inc({ upstream: this.upstreamName, class: routeClass });
  }

  onCircuit(state: CircuitStateName): void {
    this.circuitState.set({ upstream: this.upstreamName }, CIRCUIT_VALUES[state]);
  }

  onRejected(routeClass: RouteClass): void {
    this.upstreamRejected.inc({ upstream: this.upstreamName, class: routeClass });
  }

  onRequest(routeClass: RouteClass, outcome: string, seconds: number): void {
    this.upstreamRequests.inc({ upstream: this.upstreamName, class: routeClass, outcome });
    this.upstreamDuration.observe({ upstream: this.upstreamName, class: routeClass }, seconds);
  }

  /** Gauges read at scrape time from a stats source (caches register theirs). */
  addStatsGauges(prefix: string, help: string, read: () => Record<string, number>): void {
    for (const key of Object.keys(read())) {
      const name = `gateway_${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
      new Gauge({ name, help: `${help}: ${key}`, registers: [this.registry], collect() { this.set(read()[key] ?? 0); } });
    }
  }
}
