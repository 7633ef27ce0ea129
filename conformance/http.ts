/**
 * The suite's HTTP client: undici with a small keep-alive pool, bodies always
 * read to the end (so sockets are reused and nothing leaks), and idempotent
 * requests retried when a kept-alive socket was closed under us (Orthanc drops
 * idle connections after 1 s).
 */
import { Agent, request, type Dispatcher } from 'undici';

export interface HttpAnswer {
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; throws a readable error when it is not. */
  json(): unknown;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function flatHeaders(raw: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function answer(url: string, status: number, headers: Record<string, string>, body: Buffer): HttpAnswer {
  return {
    url,
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: () => {
      try {
        return JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        throw new Error(`${url}: body is not JSON (${body.subarray(0, 80).toString('utf8')}...)`);
      }
    },
  };
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(timeoutMs = 30_000) {
    this.agent = new Agent({
      connections: 8,
      keepAliveTimeout: 500,
      keepAliveMaxTimeout: 500,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async send(url: string, opts: RequestOptions = {}): Promise<HttpAnswer> {
    const method = opts.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await request(url, {
          method,
          headers: opts.headers,
          body: opts.body,
          signal: opts.signal,
          dispatcher: this.agent,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        return answer(url, res.statusCode, flatHeaders(res.headers), body);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (method === 'GET' && attempt < 2 && RETRYABLE.has(code) && !opts.signal?.aborted) continue;
        throw new Error(`${method} ${url}: ${code || 'request failed'}: ${(err as Error).message}`);
      }
    }
  }

  get(url: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<HttpAnswer> {
    return this.send(url, { headers, signal });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** `http://host/dicom-web/` → `http://host/dicom-web`; rejects anything but http(s) URLs. */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL; expected e.g. http://127.0.0.1:8042/dicom-web`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${raw}" is not an http(s) URL`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
