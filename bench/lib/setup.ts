// Shared setup of the benchmarks: a throw-away Orthanc loaded with a
// deterministic population of small studies, and the gateway in front of it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { orthancAvailable, startOrthanc, type OrthancInstance, type OrthancOptions } from '../../scripts/orthanc/harness.js';
import { generatePopulation, generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';
import type { Cleanup } from './cleanup.js';
import { ensureBuilt, startGateway, type GatewayProcess } from './gateway.js';

export interface PopulationOptions {
  studies: number;
  seed: number;
  seriesPerStudy: number;
  instancesPerSeries: number;
  rows: number;
  columns: number;
}

export interface Environment {
  orthanc: OrthancInstance;
  gateway: GatewayProcess;
  specs: StudySpec[];
  /** Scratch directory of this run (gateway log, profiles). */
  workDir: string;
}

const log = (line: string) => console.log(line);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

async function loadPopulation(orthanc: OrthancInstance, pop: PopulationOptions): Promise<StudySpec[]> {
  const started = performance.now();
  const specs = generatePopulation(pop.studies, {
    seed: pop.seed,
    seriesPerStudy: pop.seriesPerStudy,
    instancesPerSeries: pop.instancesPerSeries,
    rows: pop.rows,
    columns: pop.columns,
  });
  const files = specs.flatMap(generateStudy).map((i) => i.part10);
  const result = await loadIntoOrthanc(orthanc.baseUrl, files, { concurrency: 4 });
  if (result.failed.length > 0) {
    throw new Error(`Orthanc refused ${result.failed.length} of ${files.length} instances; first: ${JSON.stringify(result.failed[0])}`);
  }
  log(`setup: ${specs.length} studies (${pop.seriesPerStudy} series x ${pop.instancesPerSeries} instances of ${pop.rows}x${pop.columns}, seed ${pop.seed}), ${result.stored} instances loaded in ${seconds(started)}`);
  return specs;
}

export interface SetupOptions {
  /** Omitted: Orthanc starts empty (the benchmark loads its own data). */
  population?: PopulationOptions;
  /** Passed to startOrthanc (e.g. a storageDir that survives a restart). */
  orthanc?: OrthancOptions;
  /** GATEWAY_* variables for the gateway process. */
  gatewayEnv?: Record<string, string>;
  gatewayNodeArgs?: string[];
  /** Run this gateway entry point instead of building and running dist/src/main.js. */
  gatewayMain?: string;
  /** Run src/main.ts through tsx (no build). */
  gatewayFromSource?: boolean;
}

/** Starts Orthanc, loads the population, starts the gateway; all registered with `cleanup`. */
export async function setUp(cleanup: Cleanup, opts: SetupOptions): Promise<Environment> {
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  if (opts.gatewayFromSource) log('gateway build: none, running src/main.ts through tsx');
  else if (opts.gatewayMain) log(`gateway build: none, running ${opts.gatewayMain}`);
  else ensureBuilt(log);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'dicomweb-gateway-bench-'));
  cleanup.add('scratch directory', async () => rmSync(workDir, { recursive: true, force: true }));
  const started = performance.now();
  const orthanc = await startOrthanc(opts.orthanc);
  cleanup.add('Orthanc', () => orthanc.stop(), orthanc.pid);
  log(`setup: Orthanc pid ${orthanc.pid} at ${orthanc.baseUrl}, up in ${seconds(started)}`);
  const specs = opts.population ? await loadPopulation(orthanc, opts.population) : [];
  const gatewayStarted = performance.now();
  const gateway = await startGateway({
    upstreamUrl: orthanc.dicomWebUrl,
    logFile: path.join(workDir, 'gateway.log'),
    env: opts.gatewayEnv,
    nodeArgs: opts.gatewayNodeArgs,
    main: opts.gatewayMain,
    fromSource: opts.gatewayFromSource,
  });
  cleanup.add('gateway', () => gateway.stop(), gateway.pid);
  log(`setup: gateway pid ${gateway.pid} at ${gateway.origin}${gateway.basePath}, up in ${seconds(gatewayStarted)}`);
  return { orthanc, gateway, specs, workDir };
}
