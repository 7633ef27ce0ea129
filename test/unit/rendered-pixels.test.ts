/**
 * The gateway's own pixel steps: RLE (PS3.5 Annex G), 16-bit colour to 8 bits,
 * region / flip / viewport / encode with sharp, annotation overlays, and the
 * coalescing of concurrent renderings.
 */
import test from 'ava';
import sharp from 'sharp';
import { decodePackBits, decodeRleFrame } from '../../src/dicomweb/wado/rendered/rle.js';
import { colour16ToRaw } from '../../src/dicomweb/wado/rendered/native-pixels.js';
import { finishRaw } from '../../src/dicomweb/wado/rendered/encode.js';
import { annotationSvg } from '../../src/dicomweb/wado/rendered/annotation.js';
import { SharedWork } from '../../src/dicomweb/wado/rendered/shared-work.js';
import { BadRequestError } from '../../src/http/errors.js';

test('PackBits: literal runs, repeats and the -128 no-op', (t) => {
  // 2 literal bytes, then "repeat 0x07 four times", then a no-op, then 1 literal.
  const input = Buffer.from([1, 0xaa, 0xbb, 0xfd, 0x07, 0x80, 0, 0xcc]);
  t.deepEqual([...decodePackBits(input, 7)], [0xaa, 0xbb, 7, 7, 7, 7, 0xcc]);
});

function rleFragment(segments: Buffer[]): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  const encoded = segments.map((raw) => Buffer.concat([Buffer.from([raw.length - 1]), raw])); // one literal run each
  encoded.forEach((seg, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += seg.length;
  });
  return Buffer.concat([header, ...encoded]);
}

test('RLE 16-bit RGB: segments by sample, most significant byte first, into little-endian pixels', (t) => {
  // 2 pixels: (R,G,B) = (0x0102, 0x0304, 0x0506) and (0xA1A2, 0xB1B2, 0xC1C2).
  const seg = (hi: number[], lo: number[]) => [Buffer.from(hi), Buffer.from(lo)];
  const fragment = rleFragment([...seg([0x01, 0xa1], [0x02, 0xa2]), ...seg([0x03, 0xb1], [0x04, 0xb2]), ...seg([0x05, 0xc1], [0x06, 0xc2])]);
  const native = decodeRleFrame(fragment, { rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 16 });
  const values = Array.from({ length: 6 }, (_, i) => native.readUInt16LE(2 * i));
  t.deepEqual(values, [0x0102, 0x0304, 0x0506, 0xa1a2, 0xb1b2, 0xc1c2]);
  t.throws(() => decodeRleFrame(fragment, { rows: 1, columns: 2, samplesPerPixel: 1, bitsAllocated: 8 }), { message: /segments/ });
});

test('16-bit colour keeps its top 8 stored bits', (t) => {
  const native = Buffer.alloc(6);
  [0xffff, 0x8000, 0x00ff].forEach((v, i) => native.writeUInt16LE(v, 2 * i));
  const raw = colour16ToRaw(native, { rows: 1, columns: 1, samplesPerPixel: 3, bitsAllocated: 16, bitsStored: 16, planar: false });
  t.deepEqual([...raw.pixels], [255, 128, 0]);
  t.is(raw.channels, 3);
});

/** A 4×2 RGBA image whose left half is white and right half black. */
function halves(): { pixels: Buffer; width: number; height: number; channels: 4 } {
  const pixels = Buffer.alloc(4 * 2 * 4);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) pixels.fill(255, (y * 4 + x) * 4, (y * 4 + x) * 4 + 4);
  return { pixels, width: 4, height: 2, channels: 4 };
}

async function pixelsOf(png: Buffer) {
  const { width, height, channels } = await sharp(png).metadata();
  const data = await sharp(png).extractChannel(0).raw().toBuffer();
  return { data, info: { width, height, channels } };
}

test('viewport letterboxes to exactly vw × vh; negative sw flips the region', async (t) => {
  const boxed = await pixelsOf(await finishRaw(halves(), { imageType: 'image/png', viewport: { vw: 8, vh: 8 }, grayscale: true }));
  t.deepEqual([boxed.info.width, boxed.info.height, boxed.info.channels], [8, 8, 1]);
  t.is(boxed.data[0], 0, 'black bar above the image');
  const flipped = await pixelsOf(await finishRaw(halves(), { imageType: 'image/png', viewport: { vw: 4, vh: 2, region: { sx: 0, sy: 0, sw: -4, sh: 2 } }, grayscale: true }));
  t.is(flipped.data[0], 0, 'the black half is now on the left');
  t.is(flipped.data[3], 255);
});

test('a source region outside the image is a 400 naming viewport', async (t) => {
  const err = await t.throwsAsync(finishRaw(halves(), { imageType: 'image/png', viewport: { vw: 4, vh: 4, region: { sx: 10, sy: 0, sw: 2, sh: 2 } } }), { instanceOf: BadRequestError });
  t.is(err?.extras.parameter, 'viewport');
});

test('every offered type encodes with its magic bytes', async (t) => {
  const magic: Record<string, string> = { 'image/jpeg': 'ffd8ff', 'image/png': '89504e47', 'image/gif': '47494638' };
  for (const [type, prefix] of Object.entries(magic)) {
    const out = await finishRaw(halves(), { imageType: type as 'image/png' });
    t.is(out.subarray(0, prefix.length / 2).toString('hex'), prefix, type);
  }
  const webp = await finishRaw(halves(), { imageType: 'image/webp' });
  t.is(webp.subarray(8, 12).toString('latin1'), 'WEBP');
});

test('annotations: patient and technique lines, escaped, none without keywords', (t) => {
  const instance = { '00100010': { Value: [{ Alphabetic: 'Doe^Jane<script>' }] }, '00100020': { Value: ['P1'] }, '00080060': { Value: ['CT'] }, '00200013': { Value: [7] } };
  const svg = annotationSvg(['patient', 'technique'], { instance, frame: 2, frames: 4 }, 256, 256)!.toString();
  t.true(svg.includes('Doe Jane&lt;script&gt;'));
  t.true(svg.includes('ID P1'));
  t.true(svg.includes('Im 7'));
  t.true(svg.includes('Fr 2/4'));
  t.is(annotationSvg([], { instance, frame: 1, frames: 1 }, 10, 10), undefined);
});

test('shared work runs once for concurrent callers and aborts only when all have gone', async (t) => {
  const work = new SharedWork<number>();
  let runs = 0;
  let aborted = false;
  let release!: (n: number) => void;
  const job = (signal: AbortSignal) => {
    runs++;
    signal.addEventListener('abort', () => (aborted = true));
    return new Promise<number>((resolve) => (release = resolve));
  };
  const a = new AbortController();
  const b = new AbortController();
  const pa = work.run('k', a.signal, job);
  const pb = work.run('k', b.signal, job);
  a.abort();
  await t.throwsAsync(pa);
  t.false(aborted, 'one client is still waiting');
  release(42);
  t.is(await pb, 42);
  t.is(runs, 1);

  const c = new AbortController();
  const pc = work.run('k2', c.signal, job);
  c.abort();
  await t.throwsAsync(pc);
  t.true(aborted, 'the last client left: the work is aborted');
});
