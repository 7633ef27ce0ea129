/**
 * Upstream GETs with large answers (study and series retrieves, edge fills)
 * over a plain TCP socket that reads into 1 MiB slabs (net.Socket `onread`).
 * Why: node:http and undici read 64 KiB per syscall, and every read is a
 * buffer, a parser call, a stream hop and a client write. Relaying a 105 MB
 * series that way cost the gateway 1.3 ms of CPU per MB on the 2-core test
 * machines and reached 0.41-0.47x of Orthanc direct; with 1 MiB reads into
 * reused memory (../../http/slab-pool.ts) it costs 0.41 ms per MB and reaches 0.76x
 * (bench/README.md, "Bulk transport").
 * One request per connection (`Connection: close`): these answers are large,
 * and Orthanc closes the connection after them anyway. At most
 * `upstream.connections` such sockets at once (socket-gate.ts). Plain http:// only;
 * https:// upstreams use node:http (../stream-transport.ts).
 */
import net from 'node:net';
import type { GatewayConfig } from '../../config/schema.js';
import type { StreamedResponse, StreamRequest } from '../stream-transport.js';
import { abortReason, codedError } from '../errors.js';
import { BulkExchange } from './exchange.js';
import { SocketGate } from './socket-gate.js';
import { MAX_FREE_SLABS, SLAB_BYTES, SlabPool } from '../../http/slab-pool.js';

const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;
const OWN_FIELDS = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

/** The request head; throws on anything that could split it (a gateway bug, never client input). */
export function requestHead(url: URL, req: StreamRequest): string {
  if (!REQUEST_TARGET.test(req.path)) throw new TypeError(`request target not sendable: ${JSON.stringify(req.path.slice(0, 80))}`);
  const lines = [`GET ${req.path} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(req.headers)) {
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) throw new TypeError(`header not sendable: ${JSON.stringify(name.slice(0, 40))}`);
    if (!OWN_FIELDS.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

export class BulkHttpTransport {
  private readonly sockets = new Set<net.Socket>();
  private readonly slabs = new SlabPool(SLAB_BYTES, MAX_FREE_SLABS);
  private readonly gate: SocketGate;

  constructor(private readonly url: URL, private readonly config: GatewayConfig['upstream']) {
    if (url.protocol !== 'http:') throw new TypeError('the bulk transport speaks plain http:// only');
    this.gate = new SocketGate(config.connections);
  }

  async send(req: StreamRequest): Promise<StreamedResponse> {
    if (req.signal?.aborted) throw abortReason(req.signal);
    const head = requestHead(this.url, req);
    const started = Date.now();
    await this.gate.acquire(req.signal, this.config.headersTimeoutMs);
    // The headers time-out counts the wait for a connection too.
    return this.exchange(req, head, Math.max(1, this.config.headersTimeoutMs - (Date.now() - started)));
  }

  /** One request on a new socket; its gate slot is given back when the socket closes. */
  private exchange(req: StreamRequest, head: string, headersTimeoutMs: number): Promise<StreamedResponse> {
    const exchange = new BulkExchange({ headersTimeoutMs, bodyTimeoutMs: this.config.bodyTimeoutMs, signal: req.signal, slabs: this.slabs });
    // URL.hostname keeps an IPv6 literal's brackets; net.connect wants the bare address.
    const socket = net.connect({ host: this.url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(this.url.port || 80), onread: exchange.onread });
    this.sockets.add(socket);
    const connectTimer = setTimeout(() => socket.destroy(codedError('UND_ERR_CONNECT_TIMEOUT', 'upstream connect timeout')), this.config.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(connectTimer));
    socket.once('close', () => {
      clearTimeout(connectTimer);
      this.sockets.delete(socket);
      this.gate.release();
    });
    socket.write(head, 'latin1');
    return exchange.attach(socket);
  }

  /** Sockets open and requests waiting for one. */
  get connections(): { active: number; waiting: number } {
    return this.gate.counts;
  }

  /** Ends every exchange still open (shutdown). */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
