/**
 * The real Orthanc killed mid-stream and restarted: clients see a reset, not a
 * truncated success; cached answers keep flowing while it is down; the gateway
 * recovers by itself when it is back (no gateway restart).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../../scripts/orthanc/harness.js';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';
import { startGateway } from '../support/gateway.js';

const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

test('kill mid-stream, serve stale while down, recover after restart', async (t) => {
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-outage-'));
  let orthanc: OrthancInstance | undefined = await startOrthanc({ storageDir });
  const port = orthanc.httpPort;
  const instances = generateStudy({
    patientName: 'Outage^Test', patientId: 'OUT-1', birthDate: '19800101', sex: 'M', studyDate: '20240101', studyInstanceUid: '2.25.5001',
    series: [{ modality: 'CT', instances: 100, rows: 512, columns: 512, seriesInstanceUid: '2.25.5001.1' }],
  });
  t.is((await loadIntoOrthanc(orthanc.baseUrl, instances.map((i) => i.part10))).stored, 100);
  const gw = await startGateway(orthanc.dicomWebUrl, { upstream: { retries: 1, breakerThreshold: 3, breakerHalfOpenAfterMs: 500 }, cache: { ttlMs: 200 } });
  try {
    t.is((await request(`${gw.url}/studies?PatientID=OUT-1`)).statusCode, 200);

    const retrieve = await request(`${gw.url}/studies/2.25.5001/series/2.25.5001.1`, { headers: { accept: ANY_TS }, highWaterMark: 16 * 1024 });
    t.is(retrieve.statusCode, 200);
    let received = 0;
    const reading = (async () => {
      for await (const chunk of retrieve.body) {
        received += (chunk as Buffer).length;
        if (received > 1024 * 1024 && orthanc) {
          process.kill(orthanc.pid, 'SIGKILL');
          orthanc = undefined;
        }
        await sleep(1); // a slow reader, so Orthanc is killed while the series is still flowing
      }
    })();
    await t.throwsAsync(reading, undefined, 'the client sees the stream fail, not a clean end');
    t.true(received < 100 * 512 * 512 * 2, `received ${received} bytes of a ~52 MB series`);

    await sleep(250);
    const stale = await request(`${gw.url}/studies?PatientID=OUT-1`);
    await stale.body.dump();
    t.is(stale.statusCode, 200);
    t.is(stale.headers['x-gateway-cache'], 'STALE-IF-ERROR');
    const uncached = await request(`${gw.url}/studies?PatientID=OUT-2`);
    const problem = JSON.parse(await uncached.body.text()) as { code: string; detail: string };
    t.true([502, 503].includes(uncached.statusCode));
    t.regex(problem.code, /UPSTREAM_UNREACHABLE|UPSTREAM_CIRCUIT_OPEN/);

    orthanc = await startOrthanc({ storageDir, httpPort: port });
    const back = Date.now();
    let recovered = false;
    while (Date.now() - back < 30_000) {
      const res = await request(`${gw.url}/studies?PatientID=OUT-2&_=${Date.now()}`);
      await res.body.dump();
      if (res.statusCode === 204) {
        recovered = true;
        break;
      }
      await sleep(100);
    }
    t.true(recovered, 'the gateway recovers without a restart');
    t.log(`recovered ${Date.now() - back} ms after Orthanc answered again`);
    const after = await request(`${gw.url}/studies/2.25.5001/series/2.25.5001.1/metadata`);
    await after.body.dump();
    t.is(after.statusCode, 200);
  } finally {
    await gw.close();
    await orthanc?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  }
});
