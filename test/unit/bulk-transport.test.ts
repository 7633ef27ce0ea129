import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { BulkHttpTransport, requestHead } from '../../src/upstream/bulk/transport.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import type { StreamedResponse } from '../../src/upstream/stream-transport.js';

const CONFIG = { connections: 4, connectTimeoutMs: 2000, headersTimeoutMs: 300, bodyTimeoutMs: 2000 } as GatewayConfig['upstream'];

interface RawServer {
  url: URL;
  /** The request heads received, in order. */
  requests: string[];
  /** Resolves when the server saw its connection closed by the gateway side. */
  closed: Array<Promise<unknown>>;
  close(): Promise<void>;
}

/** A TCP server answering each connection with `answer` once the request head arrived: exact bytes, faults included. */
async function rawServer(answer: (socket: net.Socket) => void): Promise<RawServer> {
  const requests: string[] = [];
  const closed: Array<Promise<unknown>> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    closed.push(once(socket, 'close'));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (d: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        requests.push(head);
        answer(socket);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/dicom-web`),
    requests,
    closed,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readAll(res: StreamedResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const pattern = (bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7) & 0xff));

test('a close-delimited answer (Orthanc multipart) arrives whole; the request head is what was asked', async (t) => {
  const body = pattern(5 * 1024 * 1024 + 13);
  const server = await rawServer((s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: multipart/related; boundary=x\r\nConnection: close\r\n\r\n'), body])));
  const transport = new BulkHttpTransport(server.url, CONFIG);
  t.teardown(() => server.close());
  const res = await transport.send({ path: '/dicom-web/studies/1.2/series/3.4', headers: { accept: 'multipart/related; type="application/dicom"' } });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-type'], 'multipart/related; boundary=x');
  t.true((await readAll(res)).equals(body));
  t.is(server.requests[0], `GET /dicom-web/studies/1.2/series/3.4 HTTP/1.1\r\nHost: ${server.url.host}\r\naccept: multipart/related; type="application/dicom"\r\nConnection: close\r\n\r\n`);
});

test('a Content-Length answer ends at its length even when the connection stays open', async (t) => {
  const server = await rawServer((s) => s.write('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found'));
  t.teardown(() => server.close());
  const res = await new BulkHttpTransport(server.url, CONFIG).send({ path: '/x', headers: {} });
  t.is(res.statusCode, 404);
  t.is((await readAll(res)).toString(), 'not found');
  await server.closed[0]; // the gateway closed its side once the body was read
});

test('a chunked answer, written in small pieces, is decoded', async (t) => {
  const server = await rawServer((s) => {
    const bytes = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n');
    for (let at = 0; at < bytes.length; at += 3) s.write(bytes.subarray(at, at + 3));
  });
  t.teardown(() => server.close());
  const res = await new BulkHttpTransport(server.url, CONFIG).send({ path: '/x', headers: {} });
  t.is((await readAll(res)).toString(), 'Wikipedia in \r\n\r\nchunks.');
});

test('an interim 100 answer is skipped', async (t) => {
  const server = await rawServer((s) => s.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  t.teardown(() => server.close());
  const res = await new BulkHttpTransport(server.url, CONFIG).send({ path: '/x', headers: {} });
  t.is(res.statusCode, 200);
  t.is((await readAll(res)).toString(), 'ok');
});

test('a body cut short of its Content-Length, or reset mid-stream, is an error, not a clean end', async (t) => {
  const short = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
  // With a length (a close-delimited body cut by a reset can look like its end: the multipart
  // closing delimiter check in http/stream-response.ts catches that one).
  const reset = await rawServer((s) => {
    s.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 400000\r\n\r\n'), pattern(200_000)]), () => setTimeout(() => s.resetAndDestroy(), 20));
  });
  t.teardown(() => Promise.all([short.close(), reset.close()]));
  const a = await new BulkHttpTransport(short.url, CONFIG).send({ path: '/x', headers: {} });
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(readAll(a)))?.code, 'UND_ERR_SOCKET');
  const b = await new BulkHttpTransport(reset.url, CONFIG).send({ path: '/x', headers: {} });
  t.regex((await t.throwsAsync<NodeJS.ErrnoException>(readAll(b)))?.code ?? '', /^(ECONNRESET|UND_ERR_SOCKET)$/);
});

test('an answer that fails before its first body byte fails the request itself: broken chunk, reset, silence', async (t) => {
  const broken = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbroken'));
  const reset = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Type: multipart/related; boundary=XYZ\r\n\r\n');
    setTimeout(() => s.resetAndDestroy(), 30);
  });
  const silent = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'));
  t.teardown(() => Promise.all([broken.close(), reset.close(), silent.close()]));
  const send = (url: URL, config = CONFIG) => new BulkHttpTransport(url, config).send({ path: '/x', headers: {} });
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(send(broken.url)))?.code, 'UPSTREAM_BAD_HTTP');
  t.regex(String((await t.throwsAsync<NodeJS.ErrnoException>(send(reset.url)))?.code), /^(ECONNRESET|UND_ERR_SOCKET)$/);
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(send(silent.url, { ...CONFIG, bodyTimeoutMs: 100 })))?.code, 'UND_ERR_BODY_TIMEOUT');
});

test('a broken chunk after the first body bytes fails the body, not the process, even with nobody listening yet', async (t) => {
  let answering: net.Socket | undefined;
  const server = await rawServer((s) => {
    answering = s;
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
  });
  t.teardown(() => server.close());
  const res = await new BulkHttpTransport(server.url, CONFIG).send({ path: '/x', headers: {} });
  answering!.end('zz\r\nbroken'); // only now: the answer was handed on with its first bytes
  await new Promise((r) => setTimeout(r, 100)); // the error has been emitted by now; nobody was listening yet
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(readAll(res)))?.code, 'UPSTREAM_BAD_HTTP');
});

test('no answer, garbage, a refused connection: typed errors for mapTransportError', async (t) => {
  const silent = await rawServer(() => undefined);
  const garbage = await rawServer((s) => s.end('<html>this is not HTTP</html>\r\n\r\n'));
  const closedPort = (await rawServer(() => undefined));
  const refusedUrl = closedPort.url;
  await closedPort.close();
  t.teardown(() => Promise.all([silent.close(), garbage.close()]));
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(new BulkHttpTransport(silent.url, CONFIG).send({ path: '/x', headers: {} })))?.code, 'UND_ERR_HEADERS_TIMEOUT');
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(new BulkHttpTransport(garbage.url, CONFIG).send({ path: '/x', headers: {} })))?.code, 'UPSTREAM_BAD_HTTP');
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(new BulkHttpTransport(refusedUrl, CONFIG).send({ path: '/x', headers: {} })))?.code, 'ECONNREFUSED');
});

test('an abort before the head rejects with AbortError; during the body it closes the connection at once', async (t) => {
  const slow = await rawServer(() => undefined);
  const streaming = await rawServer((s) => s.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), pattern(64 * 1024)])));
  t.teardown(() => Promise.all([slow.close(), streaming.close()]));
  const early = new AbortController();
  const pending = new BulkHttpTransport(slow.url, { ...CONFIG, headersTimeoutMs: 5000 }).send({ path: '/x', headers: {}, signal: early.signal });
  setTimeout(() => early.abort(), 50);
  t.is((await t.throwsAsync(pending))?.name, 'AbortError');
  const late = new AbortController();
  const res = await new BulkHttpTransport(streaming.url, CONFIG).send({ path: '/x', headers: {}, signal: late.signal });
  late.abort();
  t.is((await t.throwsAsync(readAll(res)))?.name, 'AbortError');
  await streaming.closed[0];
  t.pass();
});

test('a consumer that stops reading stops the socket: the archive cannot push the whole answer into the gateway', async (t) => {
  const offered = 96 * 1024 * 1024;
  let written = 0;
  const server = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\n\r\n');
    const block = pattern(1024 * 1024);
    const pump = () => {
      while (written < offered) {
        written += block.length;
        if (!s.write(block)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  t.teardown(() => server.close());
  const res = await new BulkHttpTransport(server.url, CONFIG).send({ path: '/x', headers: {} });
  await new Promise((r) => setTimeout(r, 500));
  // Kernel socket buffers on both sides plus one slab and the body's buffer.
  t.true(written < 32 * 1024 * 1024, `${written} bytes left the archive while nothing was read`);
  let received = 0;
  for await (const chunk of res.body) received += (chunk as Buffer).length;
  t.is(received, offered);
});

async function readReleasing(url: URL, keep: (index: number) => boolean) {
  const res = await new BulkHttpTransport(url, CONFIG).send({ path: '/x', headers: {} });
  const kept: Array<{ chunk: Buffer; copy: Buffer }> = [];
  const copies: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  let index = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    memories.add(chunk.buffer);
    copies.push(Buffer.from(chunk));
    if (keep(index++)) kept.push({ chunk, copy: copies.at(-1)! });
    else res.release?.(chunk);
  }
  return { body: Buffer.concat(copies), kept, memories };
}

test('chunks given back are read into again; chunks kept are never overwritten', async (t) => {
  const body = pattern(8 * 1024 * 1024);
  const server = await rawServer((s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), body])));
  t.teardown(() => server.close());
  const released = await readReleasing(server.url, () => false);
  t.true(released.body.equals(body));
  t.true(released.memories.size <= 3, `${released.memories.size} slabs read into for 8 MiB`);
  const mixed = await readReleasing(server.url, (i) => i % 2 === 0);
  t.true(mixed.body.equals(body));
  for (const { chunk, copy } of mixed.kept) t.true(chunk.equals(copy), 'a kept chunk still holds its bytes');
});

test('an IPv6 literal upstream is reached, with its brackets kept in the Host header', async (t) => {
  let head = '';
  const server = net.createServer((s) => s.once('data', (d: Buffer) => {
    head = d.toString('latin1');
    s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  }));
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!listening) return t.pass('no IPv6 loopback on this machine');
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const res = await new BulkHttpTransport(new URL(`http://[::1]:${port}/dicom-web`), CONFIG).send({ path: '/x', headers: {} });
  t.is((await readAll(res)).toString(), 'ok');
  t.regex(head, new RegExp(`\r\nHost: \\[::1\\]:${port}\r\n`));
});

test('at most upstream.connections sockets: the next request waits for one to close, or for its abort or time-out', async (t) => {
  const server = await rawServer((s) => s.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'), pattern(50_000)])));
  t.teardown(() => server.close());
  const transport = new BulkHttpTransport(server.url, { ...CONFIG, connections: 1, headersTimeoutMs: 1000 });
  const first = await transport.send({ path: '/a', headers: {} });
  const second = transport.send({ path: '/b', headers: {} });
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(transport.connections, { active: 1, waiting: 1 });
  t.is(server.requests.length, 1, 'the second request waits for a socket');
  const aborted = new AbortController();
  const third = transport.send({ path: '/c', headers: {}, signal: aborted.signal });
  aborted.abort();
  t.is((await t.throwsAsync(third))?.name, 'AbortError');
  first.body.destroy(); // the first socket closes: the second one gets its turn
  const res = await second;
  t.is(res.statusCode, 200);
  t.is(server.requests.length, 2);
  const late = transport.send({ path: '/d', headers: {} }); // res still holds the only socket
  t.is((await t.throwsAsync<NodeJS.ErrnoException>(late))?.code, 'UND_ERR_HEADERS_TIMEOUT');
  res.body.destroy();
});

test('a request head that could be split is refused before anything is sent', (t) => {
  const url = new URL('http://127.0.0.1:1/dicom-web');
  t.throws(() => requestHead(url, { path: '/x\r\nInjected: 1', headers: {} }), { instanceOf: TypeError });
  t.throws(() => requestHead(url, { path: '/x', headers: { accept: 'a\r\nInjected: 1' } }), { instanceOf: TypeError });
  t.throws(() => requestHead(url, { path: '/x', headers: { 'bad name': 'a' } }), { instanceOf: TypeError });
  t.notRegex(requestHead(url, { path: '/x', headers: { Host: 'evil', connection: 'keep-alive' } }), /evil|keep-alive/);
});
