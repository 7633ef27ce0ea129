/**
 * The upstream PACS, spoken to over DICOMweb with an undici keep-alive pool,
 * every request through the resilience policies (resilience.ts). Callers pass
 * paths relative to the upstream's DICOMweb root; only this module knows the
 * upstream's address, so none leaks into what clients see.
 */
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { UpstreamFailureError } from '../http/errors.js';
import type { RequestScopeStorage } from '../http/request-scope.js';
import { mapTransportError } from './errors.js';
import { RETRY_STATUSES, RetryableStatusError, parseRetryAfterMs } from './outcomes.js';
import { UpstreamResilience, type ResilienceObserver, type RouteClass } from './resilience.js';
import { BulkHttpTransport } from './bulk/transport.js';
import { StreamTransport, readSnippet, type StreamSender, type StreamedResponse } from './stream-transport.js';

export interface UpstreamRequest {
  /** Path under the DICOMweb root, e.g. `/studies`; built only from validated parts. */
  path: string;
  /** Raw query string without `?`, already in the form the upstream understands. */
  query?: string;
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  signal?: AbortSignal;
  /** Bulkhead to run in; derived from method and path when absent. */
  routeClass?: RouteClass;
}

/** Bodies of JSON answers above this are refused rather than held in memory. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

export function routeClassOf(method: string, path: string): RouteClass {
  if (method === 'POST') return 'store';
  if (path.endsWith('/metadata')) return 'metadata';
  if (/\/(rendered|thumbnail)$/.test(path)) return 'rendered';
  if (/\/frames\/|\/bulk\//.test(path)) return 'frames';
  if (/^\/(studies|series|instances)$|\/(series|instances)$/.test(path)) return 'search';
  return 'retrieve';
}

export interface UpstreamClientOptions {
  scope?: RequestScopeStorage;
  observer?: ResilienceObserver;
  /** TLS options for an https:// upstream (custom CA, client certificate): undici `connect` options. */
  tls?: Record<string, unknown>;
}

export class UpstreamClient {
  readonly name: string;
  readonly resilience: UpstreamResilience;
  private readonly pool: Pool;
  private readonly streams: StreamSender;
  private readonly rootPath: string;
  private readonly origin: string;

  constructor(config: GatewayConfig['upstream'], private readonly log: Logger, private readonly options: UpstreamClientOptions = {}) {
    const url = new URL(config.url);
    this.name = config.name;
    this.origin = url.origin;
    this.rootPath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      connectTimeout: config.connectTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      bodyTimeout: config.bodyTimeoutMs,
      // Orthanc drops idle sockets after 1 s; closing ours first avoids most resets.
      keepAliveTimeout: config.keepAliveTimeoutMs,
      keepAliveMaxTimeout: config.keepAliveTimeoutMs,
      // undici subtracts this from the server's Keep-Alive timeout; its 2 s default turns
      // Orthanc's "timeout=1" into "never reuse", costing a new connection per request.
      keepAliveTimeoutThreshold: 200,
      ...(options.tls && { connect: options.tls }),
    });
    this.streams = url.protocol === 'http:' ? new BulkHttpTransport(url, config) : new StreamTransport(url, config, options.tls);
    const observer = options.observer;
    this.resilience = new UpstreamResilience(config, {
      onRetry: (c) => observer?.onRetry?.(c),
      onRejected: (c) => observer?.onRejected?.(c),
      onRequest: (c, outcome, seconds) => observer?.onRequest?.(c, outcome, seconds),
      onCircuit: (state) => {
        // Once per transition, so operators see when the archive went away and came back.
        log[state === 'closed' ? 'info' : 'warn']({ upstream: config.name, circuit: state }, `circuit to the image archive is ${state}`);
        observer?.onCircuit?.(state);
      },
    });
  }

  private scopedHeaders(headers: Record<string, string> | undefined): Record<string, string> {
    const out: Record<string, string> = { ...headers };
    const scope = this.options.scope?.getStore();
    if (scope) {
      out.traceparent = scope.traceparent;
      out['x-request-id'] = scope.requestId;
    }
    return out;
  }

  /**
   * A GET whose body is relayed to a client at the client's pace (study/series
   * retrieve), through the bulk transport (bulk/transport.ts; node:http for
   * https://, stream-transport.ts). Same policies as request().
   */
  stream(req: Omit<UpstreamRequest, 'method' | 'body'>): Promise<StreamedResponse> {
    const routeClass = req.routeClass ?? routeClassOf('GET', req.path);
    return this.resilience.run(routeClass, true, async () => {
      let res: StreamedResponse;
      try {
        const path = this.rootPath + req.path + (req.query ? `?${req.query}` : '');
        res = await this.streams.send({ path, headers: this.scopedHeaders(req.headers), signal: req.signal });
      } catch (err) {
        throw mapTransportError(err, this.name);
      }
      if (RETRY_STATUSES.has(res.statusCode)) {
        res.body.resume();
        throw new RetryableStatusError(res.statusCode, parseRetryAfterMs(res.headers['retry-after']));
      }
      return res;
    });
  }

  /** failure() for a streamed response. */
  async streamFailure(res: StreamedResponse): Promise<UpstreamFailureError> {
    const snippet = await readSnippet(res.body);
    return this.failure({ statusCode: res.statusCode, headers: res.headers, body: { text: async () => snippet } });
  }

  /** Sends a request; the caller must consume or cancel the body. */
  request(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const method = req.method ?? 'GET';
    const idempotent = method === 'GET' || method === 'HEAD';
    const routeClass = req.routeClass ?? routeClassOf(method, req.path);
    return this.resilience.run(routeClass, idempotent, () => this.attempt(req, method, idempotent));
  }

  private async attempt(req: UpstreamRequest, method: Dispatcher.HttpMethod, idempotent: boolean): Promise<Dispatcher.ResponseData> {
    const headers = this.scopedHeaders(req.headers);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        origin: this.origin,
        path: this.rootPath + req.path + (req.query ? `?${req.query}` : ''),
        method,
        headers,
        body: req.body ?? null,
        signal: req.signal,
      });
    } catch (err) {
      throw mapTransportError(err, this.name);
    }
    if (idempotent && RETRY_STATUSES.has(res.statusCode)) {
      const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      await res.body.dump().catch(() => undefined);
      throw new RetryableStatusError(res.statusCode, retryAfterMs);
    }
    return res;
  }

  /** GET a DICOM JSON answer. 204 and 404 mean "nothing there" and give `[]`. */
  async getJson(path: string, query: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.request({ path, query, signal, headers: { accept: 'application/dicom+json' } });
    if (res.statusCode === 204 || res.statusCode === 404) {
      await res.body.dump();
      return [];
    }
    if (res.statusCode >= 400) throw await this.failure(res);
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_JSON_BYTES) {
      await res.body.dump();
      throw new UpstreamFailureError(this.name, `sent an answer too large to process (${declared} bytes).`, 502, 'UPSTREAM_TOO_LARGE');
    }
    const text = await this.readText(res);
    if (text.trim() === '') return [];
    try {
      return JSON.parse(text);
    } catch {
      throw new UpstreamFailureError(this.name, 'sent an answer that is not valid JSON.', 502, 'UPSTREAM_BAD_RESPONSE');
    }
  }

  private async readText(res: Dispatcher.ResponseData): Promise<string> {
    try {
      return await res.body.text();
    } catch (err) {
      throw mapTransportError(err, this.name);
    }
  }

  /** Turns an upstream error status into a GatewayError, reading a bounded snippet for the log. */
  async failure(res: Pick<Dispatcher.ResponseData, 'statusCode' | 'headers'> & { body: { text(): Promise<string> } }): Promise<UpstreamFailureError> {
    const snippet = (await res.body.text().catch(() => '')).slice(0, 500);
    this.log.warn({ upstream: this.name, status: res.statusCode, body: snippet }, 'upstream error status');
    if (res.statusCode === 503 || res.statusCode === 429) {
      const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      return new UpstreamFailureError(this.name, 'is temporarily unavailable (busy or in maintenance).', 503, 'UPSTREAM_UNAVAILABLE', retryAfterMs ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {});
    }
    if (res.statusCode >= 500) return new UpstreamFailureError(this.name, `failed while answering (HTTP ${res.statusCode}).`);
    return new UpstreamFailureError(this.name, `rejected the request (HTTP ${res.statusCode}).`, 502, 'UPSTREAM_REJECTED');
  }

  async close(): Promise<void> {
    this.streams.close();
    await this.pool.close();
  }
}
