/**
 * Fuzz test of the bulk transport's hand-written HTTP/1.1 response reading
 * (src/upstream/bulk/: head, chunked coding, body framing; RFC 9112 §4-§7):
 * valid answers cut at random places must decode to the same body; mutated
 * ones (truncated, bytes flipped, garbage inserted, framing fields changed)
 * must either decode or fail with MalformedResponseError, never another error.
 * Then through a gateway: a fake archive sends mutated answers to series
 * retrieves; the client gets a 200 whose body is complete, a reset, or a
 * 502/504, never a 500, a hang or a crash.
 */
import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { ChunkedDecoder } from '../../src/upstream/bulk/chunked-decoder.js';
import { MalformedResponseError, parseResponseHead } from '../../src/upstream/bulk/response-head.js';
import { startGateway } from '../support/gateway.js';
import { prng, type Rng } from './stow-mutations.js';

const SEED = Number(process.env.BULK_FUZZ_SEED ?? Date.now() % 2 ** 31);
const BOUNDARY = 'fuzz-boundary';

/** A multipart body as Orthanc sends one, in one of the three framings. */
function validAnswer(rng: Rng): { bytes: Buffer; body: Buffer } {
  const parts = Array.from({ length: 1 + rng.int(3) }, () => rng.bytes(rng.int(3000)));
  const body = Buffer.concat([...parts.flatMap((p) => [Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]), Buffer.from(`--${BOUNDARY}--\r\n`)]);
  const head = `HTTP/1.1 200 OK\r\nContent-Type: multipart/related; type="application/dicom"; boundary=${BOUNDARY}\r\n`;
  const framing = rng.int(3);
  if (framing === 0) return { bytes: Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`), body]), body };
  if (framing === 1) return { bytes: Buffer.concat([Buffer.from(`${head}Connection: close\r\n\r\n`), body]), body };
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    const n = 1 + rng.int(2000);
    const data = body.subarray(at, at + n);
    chunks.push(Buffer.from(`${data.length.toString(16)}${rng.int(4) === 0 ? ';x=1' : ''}\r\n`), data, Buffer.from('\r\n'));
    at += n;
  }
  return { bytes: Buffer.concat([Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`), ...chunks, Buffer.from('0\r\n\r\n')]), body };
}

function mutate(rng: Rng, bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  switch (rng.int(6)) {
    case 0: return copy.subarray(0, rng.int(copy.length));
    case 1: for (let i = 0; i < 1 + rng.int(4); i++) copy[rng.int(copy.length)] = rng.int(256); return copy;
    case 2: { const at = rng.int(copy.length); return Buffer.concat([copy.subarray(0, at), rng.bytes(1 + rng.int(40)), copy.subarray(at)]); }
    case 3: return Buffer.from(copy.toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${rng.pick(['-1', '99999999999', 'abc', '1, 2', ''])}`), 'latin1');
    case 4: return Buffer.from(copy.toString('latin1').replace(/\r\n([0-9a-f]+)\r\n/, `\r\n${rng.pick(['zz', '-1', 'ffffffffffffff', ''])}\r\n`), 'latin1');
    default: return rng.bytes(1 + rng.int(200));
  }
}

/** Reads `bytes` as the exchange does, fed in random pieces: the decoded body, or undefined when the head is incomplete. */
function decode(rng: Rng, bytes: Buffer): Buffer | undefined {
  parseResponseHead(bytes.subarray(0, rng.int(bytes.length + 1))); // a head cut anywhere: undefined, parsed or refused
  const parsed = parseResponseHead(bytes);
  if (!parsed) return undefined;
  const { framing } = parsed.head;
  if (framing.kind !== 'chunked') return framing.kind === 'length' ? parsed.rest.subarray(0, framing.length) : parsed.rest;
  const decoder = new ChunkedDecoder();
  const out: Buffer[] = [];
  for (let at = 0; at < parsed.rest.length;) {
    const n = 1 + rng.int(500);
    out.push(...decoder.write(parsed.rest.subarray(at, at + n)));
    at += n;
  }
  return Buffer.concat(out);
}

test('valid answers decode whole however they are cut; mutated ones decode or fail with MalformedResponseError', (t) => {
  t.log(`seed ${SEED} (set BULK_FUZZ_SEED to replay)`);
  const rng = prng(SEED);
  let refused = 0;
  for (let n = 0; n < 4000; n++) {
    const { bytes, body } = validAnswer(rng);
    const decoded = decode(rng, bytes);
    if (!decoded?.equals(body)) return t.fail(`case ${n}: a valid answer decoded differently`);
    try {
      decode(rng, mutate(rng, bytes));
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) return t.fail(`case ${n}: ${(err as Error).stack}`);
      refused++;
    }
  }
  t.log(`${refused} of 4000 mutated answers refused as malformed`);
  t.true(refused > 0);
});

test('a gateway relaying mutated archive answers never answers 500, hangs or crashes', async (t) => {
  const rng = prng(SEED + 1);
  let answer: Buffer = Buffer.alloc(0);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(answer));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const gw = await startGateway(`http://127.0.0.1:${port}/dicom-web`, { upstream: { headersTimeoutMs: 500, bodyTimeoutMs: 500, retries: 0, breakerThreshold: 1_000_000 } });
  t.teardown(async () => {
    await gw.close();
    for (const s of sockets) s.destroy();
    server.close();
  });
  const outcomes = new Map<string, number>();
  for (let n = 0; n < 300; n++) {
    const valid = validAnswer(rng);
    answer = rng.int(4) === 0 ? valid.bytes : mutate(rng, valid.bytes);
    const outcome = await request(`${gw.url}/studies/1.2.3/series/4.5.6`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' }, headersTimeout: 5000, bodyTimeout: 5000 })
      .then(async (res) => `${res.statusCode}${await res.body.arrayBuffer().then(() => '', () => ' reset')}`)
      .catch((err: Error) => `error ${(err as { code?: string }).code ?? err.message}`);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (/^5(?!0[234])|^error UND_ERR_(HEADERS|BODY)_TIMEOUT/.test(outcome)) return t.fail(`case ${n}: ${outcome} for ${JSON.stringify(answer.subarray(0, 120).toString('latin1'))}`);
  }
  t.log([...outcomes].map(([k, v]) => `${k}: ${v}`).join(', '));
  t.true((outcomes.get('200') ?? 0) > 0);
});
