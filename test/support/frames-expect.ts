/**
 * Expected frames of DICOM files as pydicom extracts them (test/support/
 * pydicom-frames.py), and reading the gateway's frame answers back, so that
 * frame tests compare against an independent implementation, never the gateway.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestFn } from 'ava';
import { startGateway, type RunningGateway } from './gateway.js';
import { request } from 'undici';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';
import { loadIntoOrthanc, samplesDir } from '../../scripts/fixtures/load.js';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../../scripts/orthanc/harness.js';

const run = promisify(execFile);
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pydicom-frames.py');

export interface ExpectedInstance {
  file: string;
  uids: { study: string; series: string; instance: string };
  pixelData: boolean;
  transferSyntax?: string;
  encapsulated?: boolean;
  frames?: number;
  frameSha256?: string[];
  frameLength?: number[];
  pixelDataSha256?: string;
  pixelDataLength?: number;
  waveformSha256: string[];
}

/**
 * A Python with pydicom: PYDICOM_PYTHON, else `python3` (with PYENV_VERSION=system
 * so that a pyenv shim on PATH resolves to the distribution's python3-pydicom).
 */
export async function python(): Promise<{ cmd: string; env: NodeJS.ProcessEnv }> {
  const candidates = [
    ...(process.env.PYDICOM_PYTHON ? [{ cmd: process.env.PYDICOM_PYTHON, env: process.env }] : []),
    { cmd: 'python3', env: process.env },
    { cmd: 'python3', env: { ...process.env, PYENV_VERSION: 'system' } },
  ];
  for (const c of candidates) {
    try {
      await run(c.cmd, ['-c', 'import pydicom, numpy'], { env: c.env });
      return c;
    } catch {
      // next candidate
    }
  }
  throw new Error('No python3 with pydicom and numpy found (apt-get install python3-pydicom, or set PYDICOM_PYTHON).');
}

export async function expectedFrames(files: string[]): Promise<Map<string, ExpectedInstance>> {
  const py = await python();
  const { stdout } = await run(py.cmd, [script, ...files], { env: py.env, maxBuffer: 64 * 1024 * 1024 });
  const out = new Map<string, ExpectedInstance>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as ExpectedInstance;
    out.set(row.file, row);
  }
  return out;
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export interface FramePart {
  headers: Record<string, string>;
  body: Buffer;
}

export interface FrameAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parts of a multipart answer; one pseudo-part for a single-part answer. */
  parts: FramePart[];
  text: string;
}

/** GETs `url` and reads a multipart answer with the project's reader (readMultipart), or the whole body. */
export async function getFrames(url: string, accept?: string, extra: Record<string, string> = {}): Promise<FrameAnswer> {
  const res = await request(url, { headers: { ...(accept ? { accept } : {}), ...extra } });
  const contentType = String(res.headers['content-type'] ?? '');
  const boundary = res.statusCode === 200 ? boundaryOf(contentType) : undefined;
  if (!boundary) {
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, parts: [{ headers: { 'content-type': contentType }, body }], text: body.toString('utf8') };
  }
  const parts: FramePart[] = [];
  await readMultipart(res.body as unknown as Readable, boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const chunk of part.body) chunks.push(chunk as Buffer);
      parts.push({ headers: part.headers, body: Buffer.concat(chunks) });
    },
  });
  return { status: res.statusCode, headers: res.headers, parts, text: '' };
}

export const AS_STORED = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

export function instancePath(uids: ExpectedInstance['uids']): string {
  return `/studies/${uids.study}/series/${uids.series}/instances/${uids.instance}`;
}

/** The valid sample files (not broken/), relative to `dir`, in name order; synchronous so tests can be declared per file. */
export function sampleFileList(dir: string, sub = ''): string[] {
  const entries = readdirSync(path.join(dir, sub), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  return entries.flatMap((e) => {
    const rel = path.join(sub, e.name);
    if (e.name.startsWith('.') || e.name === 'broken' || e.name === 'LICENSES') return [];
    if (e.isDirectory()) return sampleFileList(dir, rel);
    return /\.dcm$/i.test(e.name) ? [rel] : [];
  });
}

export interface SampleFixture {
  orthanc: OrthancInstance;
  /** By file name relative to the samples folder. */
  expected: Map<string, ExpectedInstance>;
}

/**
 * One Orthanc for the test file, loaded with every valid sample, and pydicom's
 * view of each sample. (ava runs before hooks concurrently, so this does not
 * build on useOrthanc: it starts its own Orthanc in one hook.)
 */
export function useSamples(test: TestFn, dir: string): () => SampleFixture {
  let fixture: SampleFixture | undefined;
  let orthanc: OrthancInstance | undefined;
  test.before(async () => {
    const available = orthancAvailable();
    if (!available.ok) throw new Error(available.reason);
    orthanc = await startOrthanc();
    const files = sampleFileList(dir);
    const result = await loadIntoOrthanc(orthanc.baseUrl, files.map((f) => readFileSync(path.join(dir, f))));
    if (result.failed.length > 0) throw new Error(`Orthanc refused samples: ${JSON.stringify(result.failed.slice(0, 3))}`);
    const byPath = await expectedFrames(files.map((f) => path.join(dir, f)));
    const expected = new Map(files.map((f) => [f, byPath.get(path.join(dir, f))!]));
    fixture = { orthanc, expected };
  });
  test.after.always(async () => {
    await orthanc?.stop();
  });
  return () => {
    if (!fixture) throw new Error('sample fixture not started');
    return fixture;
  };
}

/**
 * Registers a file's tests against a gateway (one per test) in front of an
 * Orthanc loaded with the samples, or one visible placeholder test when no
 * samples folder exists. `register` gets the fixture and the samples folder.
 */
export function withSampleGateway(test: TestFn<{ gw: RunningGateway }>, register: (samples: () => SampleFixture, dir: string) => void): void {
  const dir = samplesDir();
  if (!dir) {
    test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => {
      t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
      t.pass();
    });
    return;
  }
  const samples = useSamples(test as unknown as TestFn, dir);
  test.beforeEach(async (t) => {
    t.context.gw = await startGateway(samples().orthanc.dicomWebUrl);
  });
  test.afterEach.always(async (t) => {
    await t.context.gw?.close();
  });
  register(samples, dir);
}
