/**
 * The upstream PACS, spoken to over DICOMweb with an undici keep-alive pool.
 * Callers pass paths relative to the upstream's DICOMweb root; only this module
 * knows the upstream's address, so none leaks into what clients see.
 */
import { Pool, interceptors, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { UpstreamFailureError } from '../http/errors.js';
import { mapTransportError } from './errors.js';

export interface UpstreamRequest {
  /** Path under the DICOMweb root, e.g. `/studies`; built only from validated parts. */
  path: string;
  /** Raw query string without `?`, already in the form the upstream understands. */
  query?: string;
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  signal?: AbortSignal;
}

/** Bodies of JSON answers above this are refused rather than held in memory. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

export class UpstreamClient {
  readonly name: string;
  private readonly pool: Pool;
  private readonly dispatcher: Dispatcher;
  private readonly rootPath: string;

  constructor(private readonly config: GatewayConfig['upstream'], private readonly log: Logger) {
    const url = new URL(config.url);
    this.name = config.name;
    this.rootPath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      connectTimeout: config.connectTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      bodyTimeout: config.bodyTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      keepAliveMaxTimeout: config.keepAliveTimeoutMs,
    });
    // Orthanc drops idle sockets after 1 s: a request may meet a socket that just
    // closed. Retrying idempotent requests on such resets is safe and invisible.
    this.dispatcher = this.pool.compose(
      interceptors.retry({
        maxRetries: config.retries,
        minTimeout: 50,
        maxTimeout: 1000,
        methods: ['GET', 'HEAD'],
        statusCodes: [],
        errorCodes: ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ECONNREFUSED'],
      }),
    );
  }

  /** Sends a request; the caller must consume or cancel the body. */
  async request(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const path = this.rootPath + req.path + (req.query ? `?${req.query}` : '');
    try {
      return await this.dispatcher.request({
        path,
        method: req.method ?? 'GET',
        headers: req.headers,
        body: req.body ?? null,
        signal: req.signal,
      });
    } catch (err) {
      throw mapTransportError(err, this.name);
    }
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
  async failure(res: Dispatcher.ResponseData): Promise<UpstreamFailureError> {
    const snippet = (await res.body.text().catch(() => '')).slice(0, 500);
    this.log.warn({ upstream: this.name, status: res.statusCode, body: snippet }, 'upstream error status');
    if (res.statusCode === 503 || res.statusCode === 429) {
      const retryAfter = Number(res.headers['retry-after']);
      return new UpstreamFailureError(this.name, 'is temporarily unavailable (busy or in maintenance).', 503, 'UPSTREAM_UNAVAILABLE', Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {});
    }
    if (res.statusCode >= 500) return new UpstreamFailureError(this.name, `failed while answering (HTTP ${res.statusCode}).`);
    return new UpstreamFailureError(this.name, `rejected the request (HTTP ${res.statusCode}).`, 502, 'UPSTREAM_REJECTED');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
