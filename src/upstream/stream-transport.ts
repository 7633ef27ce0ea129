/**
 * Upstream GETs whose answer is streamed to a client at the client's pace
 * (study and series retrieves) from an https:// archive, sent with node:http
 * instead of undici (plain http:// archives use ./bulk/transport.ts).
 * Why: Orthanc sends multi-instance answers close-delimited (Connection: close,
 * no length). When a slow client makes undici's HTTP/1 parser pause for
 * backpressure and the upstream's FIN arrives, undici 7 throws an uncatchable
 * assertion (nodejs/undici#5360, fixed only in undici 8, which needs Node 22).
 * node:http pauses the socket instead and handles close-delimited bodies.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { GatewayConfig } from '../config/schema.js';
import { codedError } from './errors.js';

export interface StreamedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /**
   * Given when the body's chunks are views of reused memory: call it with a chunk
   * once nothing reads that chunk's bytes any more (its socket write completed).
   * Never calling it is always safe.
   */
  release?: (chunk: Buffer) => void;
}

export interface StreamRequest {
  path: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

/** The transport of stream(): send one GET, get its streamed answer; close() ends those still open. */
export interface StreamSender {
  send(req: StreamRequest): Promise<StreamedResponse>;
  close(): void;
}

export class StreamTransport implements StreamSender {
  private readonly agent: http.Agent;
  private readonly secure: boolean;

  constructor(private readonly url: URL, private readonly config: GatewayConfig['upstream'], tls?: Record<string, unknown>) {
    this.secure = url.protocol === 'https:';
    const options = { keepAlive: true, maxSockets: config.connections, timeout: config.keepAliveTimeoutMs };
    this.agent = this.secure ? new https.Agent({ ...options, ...tls }) : new http.Agent(options);
  }

  send(req: StreamRequest): Promise<StreamedResponse> {
    return new Promise((resolve, reject) => {
      const send = this.secure ? https.request : http.request;
      const outgoing = send({
        agent: this.agent,
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        port: this.url.port,
        path: req.path,
        method: 'GET',
        headers: req.headers,
        signal: req.signal,
      });
      // Until the headers arrive, the headers timeout applies; then the idle (body) timeout.
      const headersTimer = setTimeout(() => outgoing.destroy(codedError('UND_ERR_HEADERS_TIMEOUT', 'upstream headers timeout')), this.config.headersTimeoutMs);
      outgoing.setTimeout(this.config.bodyTimeoutMs, () => outgoing.destroy(codedError('UND_ERR_BODY_TIMEOUT', 'upstream body timeout')));
      outgoing.once('response', (res) => {
        clearTimeout(headersTimer);
        resolve({ statusCode: res.statusCode ?? 502, headers: res.headers, body: res });
      });
      outgoing.once('error', (err) => {
        clearTimeout(headersTimer);
        reject(err);
      });
      outgoing.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Reads a small error body for the log (bounded), consuming the stream. */
export async function readSnippet(body: Readable, limit = 500): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      if (text.length < limit) text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    // a broken error body tells nothing more
  }
  return text.slice(0, limit);
}
