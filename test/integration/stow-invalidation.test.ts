/**
 * After a store through the gateway, every cache of that study lets go:
 * a viewer that already looked at the series sees the new instance at once.
 */
import anyTest from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway } from '../support/gateway.js';
import { stowFiles } from '../fuzz/stow-client.js';

const SPEC: StudySpec = {
  patientName: 'Invalidate^Test', patientId: 'INV-1', birthDate: '19900101', sex: 'F', studyDate: '20240202', studyInstanceUid: '2.25.7001',
  series: [{ modality: 'CT', instances: 2, seriesInstanceUid: '2.25.7001.1' }],
};
const fixture = useOrthanc(anyTest, [SPEC]);

async function json(url: string): Promise<{ cache: unknown; rows: unknown[] }> {
  const res = await request(url);
  const text = await res.body.text();
  return { cache: res.headers['x-gateway-cache'], rows: text ? (JSON.parse(text) as unknown[]) : [] };
}

anyTest('metadata, search and frame caches of a study are dropped after STOW-RS into it', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    const series = `${gw.url}/studies/2.25.7001/series/2.25.7001.1`;
    await json(`${series}/metadata`);
    t.is((await json(`${series}/metadata`)).cache, 'HIT');
    t.is((await json(`${series}/instances`)).rows.length, 2);
    const first = fixture().instances[0]!;
    const storeEntries = () => (gw.gateway.statusSources.instanceStore?.() as { entries: number } | undefined)?.entries ?? 0;
    // A second frame request of one instance brings it into the on-disk instance store.
    for (let i = 0; i < 2; i++) {
      const frame = await request(`${series}/instances/${first.sopInstanceUid}/frames/1`, { headers: { accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' } });
      await frame.body.dump();
      t.is(frame.statusCode, 200);
    }
    for (let i = 0; i < 50 && storeEntries() === 0; i++) await sleep(100);
    t.is(storeEntries(), 1);

    // The generator derives SOP Instance UIDs from the series UID and instance number: the third is new.
    const added = generateStudy({ ...SPEC, series: [{ modality: 'CT', instances: 3, seriesInstanceUid: '2.25.7001.1' }] })[2];
    const stored = await stowFiles(gw.url, [added!.part10]);
    t.is(stored.status, 200);

    const after = await json(`${series}/metadata`);
    t.is(after.cache, 'MISS');
    t.is(after.rows.length, 3);
    t.is((await json(`${series}/instances`)).rows.length, 3);
    t.is(storeEntries(), 0, 'the stored instances of the study were dropped from the frame cache');
  } finally {
    await gw.close();
  }
});
