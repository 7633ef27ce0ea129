import test from 'ava';
import { MultipartFormatError, scanMultipart, type MultipartEvent } from '../../src/http/multipart-scanner.js';

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function scan(data: Buffer, size: number, boundary = 'b0und'): Promise<Array<{ headers: Record<string, string>; body: string }>> {
  const parts: Array<{ headers: Record<string, string>; body: Buffer[] }> = [];
  for await (const e of scanMultipart(chunksOf(data, size), boundary) as AsyncGenerator<MultipartEvent>) {
    if (e.kind === 'part') parts.push({ headers: e.headers, body: [] });
    else parts[parts.length - 1]!.body.push(e.chunk);
  }
  return parts.map((p) => ({ headers: p.headers, body: Buffer.concat(p.body).toString('latin1') }));
}

const TWO_PARTS = Buffer.from(
  'preamble\r\n--b0und\r\nContent-Type: image/jpeg; transfer-syntax=1.2.3\r\nContent-Location: http://pacs/x\r\n\r\n' +
  'first\r\n--b0unX not a delimiter\r\n' +
  '\r\n--b0und  \r\nContent-Length: 6\r\n\r\nsecond' +
  '\r\n--b0und--\r\nepilogue',
  'latin1',
);

for (const size of [1, 2, 3, 7, 1000]) {
  test(`parts and bodies come out whole, read ${size} bytes at a time`, async (t) => {
    const parts = await scan(TWO_PARTS, size);
    t.is(parts.length, 2);
    t.deepEqual(parts[0]!.headers, { 'content-type': 'image/jpeg; transfer-syntax=1.2.3', 'content-location': 'http://pacs/x' });
    t.is(parts[0]!.body, 'first\r\n--b0unX not a delimiter\r\n');
    t.deepEqual(parts[1]!.headers, { 'content-length': '6' });
    t.is(parts[1]!.body, 'second');
  });
}

test('a body ending in a delimiter prefix is kept until the next chunk decides', async (t) => {
  const data = Buffer.from('--b\r\n\r\nab\r\n-\r\n--b--', 'latin1');
  for (const size of [1, 4, 9, 100]) t.deepEqual((await scan(data, size, 'b')).map((p) => p.body), ['ab\r\n-']);
});

test('binary bodies with CR bytes pass unchanged', async (t) => {
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 0x0d : i % 256)));
  const data = Buffer.concat([Buffer.from('--zz\r\nContent-Type: application/octet-stream\r\n\r\n'), body, Buffer.from('\r\n--zz--')]);
  for (const size of [1, 13, 4096]) {
    const [part] = await scan(data, size, 'zz');
    t.deepEqual(Buffer.from(part!.body, 'latin1'), body);
  }
});

test('a part without headers', async (t) => {
  t.deepEqual(await scan(Buffer.from('--q\r\n\r\nxyz\r\n--q--'), 3, 'q'), [{ headers: {}, body: 'xyz' }]);
});

test('a stream that ends before the closing delimiter is an error', async (t) => {
  await t.throwsAsync(scan(Buffer.from('--q\r\n\r\nxyz'), 2, 'q'), { instanceOf: MultipartFormatError });
  await t.throwsAsync(scan(Buffer.from('--q\r\n\r\nxyz\r\n--q\r\n'), 2, 'q'), { instanceOf: MultipartFormatError });
  await t.throwsAsync(scan(Buffer.from('no delimiter at all'), 4, 'q'), { instanceOf: MultipartFormatError });
});

test('garbage after a delimiter is an error', async (t) => {
  await t.throwsAsync(scan(Buffer.from('--q junk\r\n\r\nx\r\n--q--'), 100, 'q'), { instanceOf: MultipartFormatError });
});
