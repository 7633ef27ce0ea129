import test from 'ava';
import { ChunkedDecoder } from '../../src/upstream/bulk/chunked-decoder.js';
import { MalformedResponseError, parseResponseHead } from '../../src/upstream/bulk/response-head.js';
import { SlabPool } from '../../src/http/slab-pool.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: multipart/related; boundary=b\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello';

test('a response head: status, lower-cased fields, repeated ones joined, what follows it', (t) => {
  const parsed = parseResponseHead(Buffer.from(HEAD, 'latin1'));
  t.truthy(parsed);
  t.is(parsed!.head.status, 200);
  t.deepEqual(parsed!.head.headers, { 'content-type': 'multipart/related; boundary=b', 'x-a': '1, 2', 'content-length': '5' });
  t.deepEqual(parsed!.head.framing, { kind: 'length', length: 5 });
  t.is(parsed!.rest.toString(), 'hello');
});

test('an incomplete head waits for more bytes, wherever it is cut', (t) => {
  const bytes = Buffer.from(HEAD, 'latin1');
  const end = bytes.indexOf('\r\n\r\n') + 4;
  for (let cut = 0; cut < end; cut++) t.is(parseResponseHead(bytes.subarray(0, cut)), undefined, `cut at ${cut}`);
  t.truthy(parseResponseHead(bytes.subarray(0, end)));
});

test('body framing per RFC 9112 §6.3', (t) => {
  const framing = (fields: string, status = 200) => parseResponseHead(Buffer.from(`HTTP/1.1 ${status} X\r\n${fields}\r\n`))!.head.framing;
  t.deepEqual(framing('Transfer-Encoding: chunked\r\nContent-Length: 9\r\n'), { kind: 'chunked' });
  t.deepEqual(framing('Transfer-Encoding: gzip, chunked\r\n'), { kind: 'chunked' });
  t.deepEqual(framing('Transfer-Encoding: gzip\r\n'), { kind: 'close' });
  t.deepEqual(framing('Connection: close\r\n'), { kind: 'close' });
  t.deepEqual(framing('Content-Length: 12\r\nContent-Length: 12\r\n'), { kind: 'length', length: 12 });
  t.deepEqual(framing('Content-Length: 12\r\n', 204), { kind: 'length', length: 0 });
  t.deepEqual(framing('', 304), { kind: 'length', length: 0 });
});

test('what is not an HTTP response is refused with a stable code', (t) => {
  const bad = [
    '<html>not http</html>\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n',
    'HTTP/1.1 200 OK\nA: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Type: multipart/related\x0b\x01\r\n\r\n',
  ];
  for (const head of bad) {
    const err = t.throws(() => parseResponseHead(Buffer.from(head, 'latin1')), { instanceOf: MalformedResponseError }, head);
    t.is(err?.code, 'UPSTREAM_BAD_HTTP');
  }
  t.throws(() => parseResponseHead(Buffer.alloc(70 * 1024, 0x41)), { instanceOf: MalformedResponseError });
});

const CHUNKED = '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\nextra';

test('chunked coding decodes to the same bytes however the input is cut', (t) => {
  const bytes = Buffer.from(CHUNKED, 'latin1');
  for (const size of [1, 2, 3, 7, 16, bytes.length]) {
    const decoder = new ChunkedDecoder();
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) out.push(...decoder.write(bytes.subarray(at, at + size)));
    t.is(Buffer.concat(out).toString(), 'helloabcdefghijklmnopqrstuvwxyz', `pieces of ${size}`);
    t.true(decoder.done);
  }
});

test('chunked data comes out as views of the input, not copies', (t) => {
  const input = Buffer.from('3\r\nabc\r\n0\r\n\r\n');
  const [data] = new ChunkedDecoder().write(input);
  t.is(data!.buffer, input.buffer);
});

test('a broken chunked coding is refused', (t) => {
  for (const body of ['zz\r\nhello\r\n', '3\r\nabcd\r\n', '3\nabc\r\n', '12345678901234\r\n', `${'1'.repeat(5000)}\r\n`]) {
    t.throws(() => new ChunkedDecoder().write(Buffer.from(body)), { instanceOf: MalformedResponseError }, body);
  }
  const unfinished = new ChunkedDecoder();
  unfinished.write(Buffer.from('3\r\nab'));
  t.false(unfinished.done);
});

test('a slab is reused only after it was retired and every chunk held from it was released', (t) => {
  const pool = new SlabPool(1024, 2);
  const slab = pool.take();
  const a = slab.subarray(0, 10);
  const b = slab.subarray(10, 20);
  pool.hold(a);
  pool.hold(b);
  pool.release(a);
  pool.retire(slab);
  t.is(pool.freeCount, 0, 'b is still out');
  pool.release(slab.subarray(10, 20)); // another view of the same bytes was never held: ignored
  t.is(pool.freeCount, 0);
  pool.release(b);
  t.is(pool.freeCount, 1);
  t.is(pool.take(), slab);
  pool.release(b); // twice: ignored
  t.is(pool.freeCount, 0);
});

test('the pool keeps at most maxFree slabs; chunks it did not hand out are ignored', (t) => {
  const pool = new SlabPool(64, 1);
  const slabs = [pool.take(), pool.take(), pool.take()];
  for (const s of slabs) pool.retire(s);
  t.is(pool.freeCount, 1);
  pool.hold(Buffer.alloc(8));
  pool.release(Buffer.alloc(8));
  t.is(pool.freeCount, 1);
});
