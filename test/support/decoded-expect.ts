/**
 * Reference decoded frames (test/support/decoded-frames.py: DCMTK and
 * pydicom/Pillow), so that the gateway's own decoding is compared with other
 * implementations, never with itself.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FrameGeometry } from '../../src/dicom/codecs/frame-decoder.js';
import { python } from './frames-expect.js';

const run = promisify(execFile);
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'decoded-frames.py');

export interface ReferenceFrame {
  file: string;
  transferSyntax: string;
  decoder: string;
  lossy: boolean;
  geometry: FrameGeometry;
  /** Frame 1, native little endian, colour by pixel, RGB for colour. */
  data: Buffer;
}

/** Reference first frames of the files a reference decoder here can decode; `skipped` says why the others are not. */
export async function referenceFirstFrames(files: string[], outDir: string): Promise<{ frames: ReferenceFrame[]; skipped: string[] }> {
  const py = await python();
  const { stdout } = await run(py.cmd, [script, outDir, ...files], { env: py.env, maxBuffer: 16 * 1024 * 1024 });
  const frames: ReferenceFrame[] = [];
  const skipped: string[] = [];
  for (const line of stdout.split('\n').filter((l) => l.trim().length > 0)) {
    const row = JSON.parse(line) as Omit<ReferenceFrame, 'data'> & { skip?: string };
    if (row.skip) {
      skipped.push(`${path.basename(row.file)}: ${row.skip}`);
      continue;
    }
    frames.push({ ...row, data: readFileSync(path.join(outDir, `${path.basename(row.file)}.frame1`)) });
  }
  return { frames, skipped };
}
