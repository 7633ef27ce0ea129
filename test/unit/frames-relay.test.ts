import test from 'ava';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyRelay, parsePartHead, readPartHead } from '../../src/dicomweb/wado/frames/relay.js';
import { MultipartFormatError } from '../../src/http/multipart-scanner.js';

const B = 'up-b0undary';
const answer = (body: string, tail = `\r\n--${B}--\r\n`) => Buffer.from(`--${B}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n${body}${tail}`, 'latin1');

function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return Readable.from(parts, { objectMode: false });
}

async function relay(data: Buffer, size: number, length: number): Promise<string> {
  const body = chunked(data, size);
  const head = await readPartHead(body, B);
  const out = new BodyRelay({ boundary: B, length, prefix: Buffer.from('<'), suffix: Buffer.from('>'), rest: head.rest });
  const got: Buffer[] = [];
  await Promise.all([pipeline(body, out), (async () => { for await (const c of out) got.push(c as Buffer); })()]);
  return Buffer.concat(got).toString('latin1');
}

test('the part head is found however the answer is cut', async (t) => {
  for (const size of [1, 5, 17, 4096]) {
    const body = chunked(answer('frame-bytes'), size);
    const head = await readPartHead(body, B);
    t.deepEqual(head.headers, { 'content-type': 'application/octet-stream', 'content-length': '11' });
    body.destroy();
  }
  t.is(parsePartHead(Buffer.from(`--${B}\r\nContent-Type: x`), B), undefined);
  t.deepEqual(parsePartHead(Buffer.from(`preamble\r\n--${B}\r\n\r\nabc`), B)?.rest.toString(), 'abc');
  t.throws(() => parsePartHead(Buffer.from(`--${B}junk\r\n\r\n`), B), { instanceOf: MultipartFormatError });
});

test('the body passes between our prefix and suffix, the upstream delimiter is checked', async (t) => {
  for (const size of [1, 3, 64, 10000]) t.is(await relay(answer('0123456789\r\n--not'), size, 17), '<0123456789\r\n--not>');
});

test('a short body, a second part or garbage after the frame is an error', async (t) => {
  await t.throwsAsync(relay(answer('0123'), 2, 10), { instanceOf: MultipartFormatError });
  await t.throwsAsync(relay(answer('0123', `\r\n--${B}\r\n\r\nmore\r\n--${B}--`), 3, 4), { instanceOf: MultipartFormatError });
  await t.throwsAsync(relay(answer('0123', 'garbage-garbage-garbage-garbage'), 3, 4), { instanceOf: MultipartFormatError });
  await t.throwsAsync(relay(answer('0123', ''), 3, 4), { instanceOf: MultipartFormatError });
});
