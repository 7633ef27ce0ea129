/**
 * STOW-RS of one instance sent as a single-part `application/dicom` body (the
 * convenience form of src/dicomweb/stow/media-type.ts) against a real Orthanc:
 * stored and retrievable byte for byte; above stow.maxPartBytes a 413 naming
 * the limit, and nothing stored.
 */
import anyTest from 'ava';
import { generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway } from '../support/gateway.js';
import { archivedInstances, items, postStow, retrieveStored, sopOf } from '../fuzz/stow-client.js';

const SPEC: StudySpec = {
  patientName: 'Single^Part', patientId: 'SP-1', birthDate: '19900101', sex: 'F', studyDate: '20240303', studyInstanceUid: '2.25.7301',
  series: [{ modality: 'CT', instances: 2, rows: 64, columns: 64, seriesInstanceUid: '2.25.7301.1' }],
};
const fixture = useOrthanc(anyTest, []);
const [first, second] = generateStudy(SPEC);

anyTest.serial('a single-part application/dicom body is stored and comes back byte for byte', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    const res = await postStow(gw.url, { contentType: 'application/dicom', body: first!.part10 });
    t.is(res.status, 200, res.text.slice(0, 300));
    t.deepEqual(items(res.json(), '00081199').map(sopOf), [first!.sopInstanceUid]);
    t.deepEqual(await retrieveStored(fixture().orthanc.dicomWebUrl, first!.studyInstanceUid, first!.seriesInstanceUid, first!.sopInstanceUid), first!.part10);
  } finally {
    await gw.close();
  }
});

anyTest.serial('a single-part body above stow.maxPartBytes is a 413 naming the limit; nothing is stored', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { stow: { maxPartBytes: 4096 } });
  try {
    const res = await postStow(gw.url, { contentType: 'application/dicom', body: second!.part10 });
    t.is(res.status, 413);
    t.regex(res.text, /stow\.maxPartBytes/);
    t.false((await archivedInstances(fixture().orthanc.dicomWebUrl, SPEC.studyInstanceUid!)).includes(second!.sopInstanceUid));
  } finally {
    await gw.close();
  }
});
