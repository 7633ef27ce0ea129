/**
 * The DICOMweb JavaScript client web viewers and AI pipelines use
 * (dicomweb-client, the library inside OHIF) against the gateway in front of a
 * real Orthanc, in Node with the xhr2 XMLHttpRequest polyfill: searches at
 * every level (PS3.18 §10.6), metadata, frames, rendered, thumbnail, instance,
 * series and study retrieval, bulk data (§10.4) and store (§10.5).
 */
import anyTest, { type TestFn } from 'ava';
import { api } from 'dicomweb-client';
import { createRequire } from 'node:module';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';

// dicomweb-client is XMLHttpRequest-based; xhr2 (untyped CommonJS) provides it in Node.
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = createRequire(import.meta.url)('xhr2') as unknown;

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
/** The calls used here, typed loosely: the package's own .d.ts marks optional options as required. */
interface Client {
  searchForStudies(o?: object): Promise<Json[]>;
  searchForSeries(o?: object): Promise<Json[]>;
  searchForInstances(o?: object): Promise<Json[]>;
  retrieveStudyMetadata(o: object): Promise<Json[]>;
  retrieveSeriesMetadata(o: object): Promise<Json[]>;
  retrieveInstanceMetadata(o: object): Promise<Json[]>;
  retrieveInstanceFrames(o: object): Promise<ArrayBuffer[]>;
  /** A single-part answer comes back as a one-element array (the client's multipart/single-part unification). */
  retrieveInstanceRendered(o: object): Promise<ArrayBuffer[]>;
  retrieveInstanceThumbnail(o: object): Promise<ArrayBuffer[]>;
  retrieveInstance(o: object): Promise<ArrayBuffer>;
  retrieveSeries(o: object): Promise<ArrayBuffer[]>;
  retrieveStudy(o: object): Promise<ArrayBuffer[]>;
  retrieveBulkData(o: object): Promise<ArrayBuffer[]>;
  storeInstances(o: object): Promise<unknown>;
}

const test = anyTest as TestFn<{ gw: RunningGateway; client: Client }>;
const STUDY = '2.25.7301';
const SERIES = '2.25.7301.1';
const STUDIES: StudySpec[] = [{
  patientName: 'Client^Carla', patientId: 'DWC-001', birthDate: '19750505', sex: 'F', studyDate: '20240303', studyInstanceUid: STUDY,
  series: [{ modality: 'CT', instances: 2, rows: 64, columns: 48, seriesInstanceUid: SERIES }],
}];
const fixture = useOrthanc(anyTest, STUDIES);
const sop = () => fixture().instances[0]!.sopInstanceUid;
const ids = () => ({ studyInstanceUID: STUDY, seriesInstanceUID: SERIES, sopInstanceUID: sop() });
const value = (d: Json, tag: string) => d[tag]?.Value?.[0];

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
  t.context.client = new api.DICOMwebClient({ url: t.context.gw.url, singlepart: false }) as unknown as Client;
});
test.afterEach.always(async (t) => t.context.gw.close());

test('searches at study, series and instance level', async (t) => {
  const { client } = t.context;
  const studies = await client.searchForStudies({ queryParams: { PatientID: 'DWC-001' } });
  t.deepEqual(studies.map((s) => value(s, '0020000D')), [STUDY]);
  t.deepEqual((await client.searchForSeries({ studyInstanceUID: STUDY })).map((s) => value(s, '0020000E')), [SERIES]);
  t.is((await client.searchForSeries({ queryParams: { Modality: 'CT', StudyInstanceUID: STUDY } })).length, 1);
  t.is((await client.searchForInstances({ studyInstanceUID: STUDY, seriesInstanceUID: SERIES })).length, 2);
  t.is((await client.searchForInstances({ studyInstanceUID: STUDY })).length, 2);
  const paged = await client.searchForStudies({ queryParams: { PatientName: 'client*', limit: 1 } });
  t.is(paged.length, 1);
});

test('retrieves study, series and instance metadata with resolvable BulkDataURIs', async (t) => {
  const { client } = t.context;
  t.is((await client.retrieveStudyMetadata({ studyInstanceUID: STUDY })).length, 2);
  t.is((await client.retrieveSeriesMetadata({ studyInstanceUID: STUDY, seriesInstanceUID: SERIES })).length, 2);
  const [instance] = await client.retrieveInstanceMetadata(ids());
  t.is(value(instance!, '00280010'), 64);
  const uri = instance!['7FE00010']?.BulkDataURI;
  t.truthy(uri?.startsWith(t.context.gw.origin), `pixel data BulkDataURI points at the gateway: ${uri}`);
  const [bulk] = await client.retrieveBulkData({ BulkDataURI: uri });
  t.is(bulk!.byteLength, 64 * 48 * 2);
});

test('retrieves frames, rendered and thumbnail images', async (t) => {
  const { client } = t.context;
  const [frame] = await client.retrieveInstanceFrames({ ...ids(), frameNumbers: '1' });
  t.is(frame!.byteLength, 64 * 48 * 2);
  const [jpeg] = (await client.retrieveInstanceRendered({ ...ids(), mediaTypes: [{ mediaType: 'image/jpeg' }] })).map((b) => Buffer.from(b));
  t.deepEqual([...jpeg!.subarray(0, 2)], [0xff, 0xd8]);
  const [png] = (await client.retrieveInstanceRendered({ ...ids(), mediaTypes: [{ mediaType: 'image/png' }], queryParams: { viewport: '32,24' } })).map((b) => Buffer.from(b));
  t.is(png!.subarray(1, 4).toString('latin1'), 'PNG');
  const [thumb] = (await client.retrieveInstanceThumbnail({ ...ids(), mediaTypes: [{ mediaType: 'image/jpeg' }] })).map((b) => Buffer.from(b));
  t.deepEqual([...thumb!.subarray(0, 2)], [0xff, 0xd8]);
});

test('retrieves instances, a series and a study as Part 10', async (t) => {
  const { client } = t.context;
  const part10 = Buffer.from(await client.retrieveInstance(ids()));
  t.is(part10.subarray(128, 132).toString('latin1'), 'DICM');
  t.is((await client.retrieveSeries({ studyInstanceUID: STUDY, seriesInstanceUID: SERIES })).length, 2);
  t.is((await client.retrieveStudy({ studyInstanceUID: STUDY })).length, 2);
});

test('stores an instance and finds it', async (t) => {
  const { client } = t.context;
  const [instance] = generateStudy({
    patientName: 'Client^Stored', patientId: 'DWC-STORE', birthDate: '19900101', sex: 'M', studyDate: '20240404',
    series: [{ modality: 'MR', instances: 1, rows: 16, columns: 16 }],
  });
  const bytes = instance!.part10;
  await client.storeInstances({ datasets: [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)] });
  const found = await client.searchForInstances({ queryParams: { SOPInstanceUID: instance!.sopInstanceUid } });
  t.is(found.length, 1);
});
