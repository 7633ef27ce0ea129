// Test data generated at run time (never committed): series of synthetic CT
// instances (scripts/fixtures/generate.ts), loaded into Orthanc over REST.
import { performance } from 'node:perf_hooks';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';

export interface SeriesShape {
  instances: number;
  rows: number;
  columns: number;
  frames?: number;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  description: string;
}

export interface LoadedSeries {
  studyUid: string;
  seriesUid: string;
  sopUids: string[];
  bytes: number;
}

const PATIENT = { patientName: 'BENCH^WADO', patientId: 'BENCH-WADO', birthDate: '19700101', sex: 'O' as const, studyDate: '20240101' };

export function generateSeries(shape: SeriesShape): GeneratedInstance[] {
  return generateStudy({
    ...PATIENT,
    studyInstanceUid: shape.studyInstanceUid,
    studyDescription: 'bench',
    series: [{
      modality: 'CT',
      instances: shape.instances,
      rows: shape.rows,
      columns: shape.columns,
      frames: shape.frames,
      seriesInstanceUid: shape.seriesInstanceUid,
      seriesDescription: shape.description,
    }],
  });
}

/** Loads buffers into Orthanc; throws when any is refused. */
export async function loadBuffers(orthancBaseUrl: string, buffers: Buffer[]): Promise<void> {
  const result = await loadIntoOrthanc(orthancBaseUrl, buffers, { concurrency: 4 });
  if (result.failed.length > 0) {
    throw new Error(`Orthanc refused ${result.failed.length} of ${buffers.length} instances; first: ${JSON.stringify(result.failed[0]).slice(0, 300)}`);
  }
}

/** Generates one series in batches (bounded memory), loads it, returns its UIDs. */
export async function loadSeries(orthancBaseUrl: string, shape: SeriesShape): Promise<LoadedSeries> {
  const started = performance.now();
  const instances = generateSeries(shape);
  const first = instances[0]!;
  const bytes = instances.reduce((n, i) => n + i.part10.length, 0);
  await loadBuffers(orthancBaseUrl, instances.map((i) => i.part10));
  const frames = shape.frames && shape.frames > 1 ? ` x ${shape.frames} frames` : '';
  console.log(`setup: ${shape.description}: ${shape.instances} x ${shape.rows}x${shape.columns}${frames} (${(bytes / 1e6).toFixed(1)} MB) generated and loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { studyUid: first.studyInstanceUid, seriesUid: first.seriesInstanceUid, sopUids: instances.map((i) => i.sopInstanceUid), bytes };
}
