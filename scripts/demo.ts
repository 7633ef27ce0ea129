/**
 * `npm run demo`: a local Orthanc loaded with generated sample studies (and the
 * shared DICOM samples when present), the gateway in front of it, and the URLs
 * to try. Ctrl-C stops both (Orthanc by PID).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createGateway } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { orthancAvailable, startOrthanc } from './orthanc/harness.js';
import { generatePopulation, generateStudy } from './fixtures/generate.js';
import { loadIntoOrthanc, sampleFiles, samplesDir } from './fixtures/load.js';

async function loadSamples(orthancUrl: string): Promise<{ summary: string; patientId: string }> {
  const studies = generatePopulation(12, { seed: 7, seriesPerStudy: 2, instancesPerSeries: 4, rows: 128, columns: 128 });
  const generated = await loadIntoOrthanc(orthancUrl, studies.flatMap(generateStudy).map((i) => i.part10));
  let summary = `${generated.stored} generated instances (${studies.length} studies)`;
  const dir = samplesDir();
  if (dir) {
    const files: Buffer[] = [];
    for await (const file of sampleFiles(dir)) files.push(file.data);
    const samples = await loadIntoOrthanc(orthancUrl, files);
    summary += ` and ${samples.stored} sample files`;
  }
  return { summary, patientId: studies[0]!.patientId };
}

async function main(): Promise<void> {
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  const orthanc = await startOrthanc();
  const loaded = await loadSamples(orthanc.baseUrl);
  // The demo's state (identity links, prefetch jobs, edge cache) lives and dies with the demo.
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'dicomweb-gateway-demo-state-'));
  const config = loadConfig({ overrides: { upstream: { url: orthanc.dicomWebUrl, name: 'demo Orthanc' }, state: { dir: stateDir } } });
  const gateway = createGateway(config);
  const server = createServer(gateway.app.callback());
  await new Promise<void>((resolve) => server.listen(config.server.port, config.server.host, resolve));
  const origin = `http://${config.server.host}:${config.server.port}`;
  const base = `${origin}${config.server.basePath}`;
  console.log(`
Orthanc (pid ${orthanc.pid}) at ${orthanc.baseUrl}, loaded with ${loaded.summary}.
Gateway at ${base}

Try:
  curl '${base}/studies?limit=5'
  curl '${base}/studies?PatientName=m*&fuzzymatching=true'
  curl '${base}/studies?StudyDate=20150101-&includefield=all'
  curl -i '${base}/studies?PatientID=NOBODY'        (204 No Content)
  curl '${base}/studies?StudyDate=2015'             (400, names the parameter)
  curl -X POST ${origin}/api/prefetch -H 'content-type: application/json' -d '{"patient":{"id":"${loaded.patientId}"}}'
  curl -N ${origin}/api/prefetch/<id>/events         (the job's progress, then: its studies are served with Orthanc stopped)

Ctrl-C stops the gateway and Orthanc.`);
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await gateway.close();
    await orthanc.stop();
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
