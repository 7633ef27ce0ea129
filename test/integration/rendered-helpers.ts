/**
 * Small helpers shared by the rendered / thumbnail integration tests.
 */
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { request } from 'undici';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';

export interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  type: string;
  json(): Record<string, unknown>;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await request(url, { headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
    type: String(res.headers['content-type'] ?? ''),
    json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
  };
}

export const header = (got: Got, name: string): string => {
  const v = got.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

export const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.subarray(0, 3).toString('hex') === 'ffd8ff',
  'image/png': (b) => b.subarray(0, 8).toString('hex') === '89504e470d0a1a0a',
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/gif': (b) => b.subarray(0, 6).toString('latin1').startsWith('GIF8'),
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
};

export async function sizeOf(image: Buffer): Promise<[number, number]> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  return [width, height];
}

/** Grey values (first channel) of an image, for pixel comparisons. */
export async function greys(image: Buffer): Promise<Buffer> {
  return sharp(image).extractChannel(0).raw().toBuffer();
}

export function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

export async function partsOf(got: Got): Promise<Part[]> {
  const boundary = boundaryOf(got.type);
  if (!boundary) throw new Error(`not multipart: ${got.type}`);
  const parts: Part[] = [];
  await readMultipart(Readable.from([got.body]), boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      parts.push({ headers: part.headers, body: Buffer.concat(chunks) });
    },
  });
  return parts;
}
