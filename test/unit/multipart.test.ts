import test from 'ava';
import { Readable } from 'node:stream';
import { boundaryOf, closingDelimiter, partHeader, readMultipart, readMultipartInto, type PartSink } from '../../src/http/multipart.js';

function body(boundary: string, parts: string[], close = true): Buffer {
  const chunks = parts.flatMap((p, i) => [partHeader(boundary, { 'Content-Type': 'application/dicom' }, i === 0), Buffer.from(p)]);
  if (close) chunks.push(closingDelimiter(boundary));
  return Buffer.concat(chunks);
}

async function collect(stream: Readable, boundary: string): Promise<string[]> {
  const out: string[] = [];
  await readMultipart(stream, boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      out.push(`${part.headers['content-type']}:${Buffer.concat(chunks).toString()}`);
    },
  });
  return out;
}

test('boundaryOf reads quoted and unquoted boundaries', (t) => {
  t.is(boundaryOf('multipart/related; type="application/dicom"; boundary="abc 1"'), 'abc 1');
  t.is(boundaryOf('multipart/related; boundary=xyz; type=application/dicom'), 'xyz');
  t.is(boundaryOf('application/dicom'), undefined);
  t.is(boundaryOf(undefined), undefined);
});

test('reads parts in order, byte by byte as well as whole', async (t) => {
  const raw = body('b0und', ['first', 'second\r\n--not-a-boundary', 'third']);
  t.deepEqual(await collect(Readable.from([raw]), 'b0und'), ['application/dicom:first', 'application/dicom:second\r\n--not-a-boundary', 'application/dicom:third']);
  const bytes = [...raw].map((b) => Buffer.from([b]));
  t.is((await collect(Readable.from(bytes), 'b0und')).length, 3);
});

test('a body without its closing delimiter is rejected', async (t) => {
  await t.throwsAsync(collect(Readable.from([body('b', ['x', 'y'], false)]), 'b'));
});

test('a failing part handler rejects the whole read', async (t) => {
  const raw = body('b', ['x', 'y']);
  await t.throwsAsync(readMultipart(Readable.from([raw]), 'b', { onPart: () => { throw new Error('no'); } }), { message: 'no' });
});

test('a part header block above maxHeaderBytes (16 KiB by default) is refused, not buffered', async (t) => {
  const head = `--b\r\nContent-Type: application/dicom\r\nX-Padding: ${'x'.repeat(17 * 1024)}\r\n\r\nbody\r\n--b--\r\n`;
  await t.throwsAsync(collect(Readable.from([Buffer.from(head)]), 'b'), { message: /part headers longer than 16384 bytes/ });
  const small = `--b\r\nContent-Type: application/dicom\r\nX-Padding: ${'x'.repeat(200)}\r\n\r\nbody\r\n--b--\r\n`;
  await t.throwsAsync(readMultipart(Readable.from([Buffer.from(small)]), 'b', { maxHeaderBytes: 100, onPart: (p) => void p.body.resume() }), { message: /longer than 100 bytes/ });
});

/** Sinks that record what they get; `slow` makes every write return a promise the test settles. */
function recorder(slow = false) {
  const events: string[] = [];
  let waiting: Array<() => void> = [];
  const onPart = (headers: Record<string, string>): PartSink => {
    const index = events.filter((e) => e.startsWith('part')).length + 1;
    events.push(`part ${index} ${headers['content-type']}`);
    return {
      write: (chunk) => {
        events.push(`${index}:${chunk.toString()}`);
        return slow ? new Promise<void>((r) => waiting.push(r)) : undefined;
      },
      end: async () => void events.push(`end ${index}`),
      abort: (err) => void events.push(`abort ${index}: ${err.message}`),
    };
  };
  const release = () => {
    const run = waiting;
    waiting = [];
    for (const r of run) r();
  };
  return { events, onPart, release };
}

test('readMultipartInto: each part into its sink in order, ended before the next begins', async (t) => {
  const sinks = recorder();
  t.is(await readMultipartInto(Readable.from([body('b0und', ['first', 'second'])]), 'b0und', { onPart: sinks.onPart }), 2);
  t.deepEqual(sinks.events, ['part 1 application/dicom', '1:first', 'end 1', 'part 2 application/dicom', '2:second', 'end 2']);
});

test('readMultipartInto: a write that returns a promise holds the reader until it settles', async (t) => {
  const sinks = recorder(true);
  const reading = readMultipartInto(Readable.from([...body('b', ['abc', 'def'])].map((b) => Buffer.from([b]))), 'b', { onPart: sinks.onPart });
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sinks.events.slice(-1), ['1:a'], 'nothing more read while the first write is pending');
  for (let i = 0; i < 200; i++) {
    sinks.release();
    await new Promise((r) => setImmediate(r));
  }
  t.is(await reading, 2);
  t.true(sinks.events.includes('end 2'));
});

test('readMultipartInto: a malformed body aborts the part in hand; an onPart that throws stops the read', async (t) => {
  const sinks = recorder();
  await t.throwsAsync(readMultipartInto(Readable.from([body('b', ['x', 'y'], false)]), 'b', { onPart: sinks.onPart }));
  t.regex(sinks.events.at(-1)!, /^abort 2: /);
  await t.throwsAsync(readMultipartInto(Readable.from([body('b', ['x', 'y'])]), 'b', { onPart: () => { throw new Error('too many parts'); } }), { message: 'too many parts' });
});
