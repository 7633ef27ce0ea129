/**
 * Prefetch jobs of a caller restricted to one patient (a real API key with
 * patientIds/issuers, through the gateway's security layer) against the real
 * Orthanc: the job fetches only the studies that caller may read (not the same
 * PatientID at another hospital, not another patient's), a job for another
 * patient finds nothing, and the caller sees and cancels only its own jobs;
 * an unrestricted key sees them all.
 */
import test from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import type { JobBody } from '../support/prefetch-api.js';
import { tempDir } from './security-helpers.js';

const study = (uid: string, patientId: string, issuer: string): StudySpec => ({
  patientName: `Patient^${patientId}`, patientId, issuerOfPatientId: issuer, birthDate: '19800101', sex: 'O', studyDate: '20240101', studyInstanceUid: uid,
  series: [{ modality: 'CT', instances: 2, seriesInstanceUid: `${uid}.1`, rows: 32, columns: 32 }],
});
const OWN = '2.25.9101'; // P1 at HOSP-A: the restricted key's patient
const OTHER_HOSPITAL = '2.25.9102'; // P1 at HOSP-B
const OTHER_PATIENT = '2.25.9103'; // P2 at HOSP-A
const orthanc = useOrthanc(test, [study(OWN, 'P1', 'HOSP-A'), study(OTHER_HOSPITAL, 'P1', 'HOSP-B'), study(OTHER_PATIENT, 'P2', 'HOSP-A')]);

const RESTRICTED = 'dgw_restricted-prefetch-key-for-tests-0001';
const ADMIN = 'dgw_unrestricted-prefetch-key-for-tests-01';

async function startSecured(): Promise<RunningGateway> {
  return startGateway(orthanc().orthanc.dicomWebUrl, {
    security: {
      apiKeys: [
        { id: 'ward-p1', hash: hashApiKey(RESTRICTED), roles: ['read'], patientIds: ['P1'], issuers: ['HOSP-A'] },
        { id: 'pacs-admin', hash: hashApiKey(ADMIN), roles: ['read', 'write', 'admin'] },
      ],
      audit: { dir: tempDir() },
    },
  });
}

async function call<T>(url: string, key: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: { 'x-api-key': key, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
}

async function finished(gw: RunningGateway, id: string, key: string): Promise<JobBody> {
  for (;;) {
    const { body } = await call<JobBody>(`${gw.origin}/api/prefetch/${id}`, key);
    if (!['queued', 'running'].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a restricted caller\'s prefetch fetches only the studies it may read', async (t) => {
  const gw = await startSecured();
  t.teardown(() => gw.close());
  const created = await call<JobBody>(`${gw.origin}/api/prefetch`, RESTRICTED, { method: 'POST', body: { patient: { id: 'P1' } } });
  t.is(created.status, 202);
  const job = await finished(gw, created.body.id, RESTRICTED);
  t.is(job.status, 'done', job.message);
  t.deepEqual(job.studies.map((s) => s.studyInstanceUid), [OWN], 'P1 at HOSP-B is not this caller\'s patient');
  t.true((await gw.gateway.edge.studySummary(OWN))?.complete);
  t.is(await gw.gateway.edge.studySummary(OTHER_HOSPITAL), undefined);

  const foreign = await call<JobBody>(`${gw.origin}/api/prefetch`, RESTRICTED, { method: 'POST', body: { patient: { id: 'P2' } } });
  const none = await finished(gw, foreign.body.id, RESTRICTED);
  t.is(none.studies.length, 0, 'another patient\'s studies are not fetched, as if they did not exist');
  t.is(none.counts.studiesFound, 0);
  t.is(await gw.gateway.edge.studySummary(OTHER_PATIENT), undefined);
});

test('a restricted caller sees and cancels only its own jobs; an unrestricted one sees all', async (t) => {
  const gw = await startSecured();
  t.teardown(() => gw.close());
  const admins = await call<JobBody>(`${gw.origin}/api/prefetch`, ADMIN, { method: 'POST', body: { patient: { id: 'P2' } } });
  const own = await call<JobBody>(`${gw.origin}/api/prefetch`, RESTRICTED, { method: 'POST', body: { patient: { id: 'P1' } } });
  t.is(admins.status, 202);
  t.is(own.status, 202);
  const listedForRestricted = await call<{ jobs: JobBody[] }>(`${gw.origin}/api/prefetch`, RESTRICTED);
  t.deepEqual(listedForRestricted.body.jobs.map((j) => j.id), [own.body.id]);
  t.is((await call(`${gw.origin}/api/prefetch/${admins.body.id}`, RESTRICTED)).status, 404, 'another caller\'s job looks like no job');
  t.is((await call(`${gw.origin}/api/prefetch/${admins.body.id}`, RESTRICTED, { method: 'DELETE' })).status, 404);
  const listedForAdmin = await call<{ jobs: JobBody[] }>(`${gw.origin}/api/prefetch`, ADMIN);
  t.deepEqual(listedForAdmin.body.jobs.map((j) => j.id).sort(), [admins.body.id, own.body.id].sort());
  const adminJob = await finished(gw, admins.body.id, ADMIN);
  t.deepEqual(adminJob.studies.map((s) => s.studyInstanceUid), [OTHER_PATIENT], 'unrestricted: the job fetches the patient asked for');
});
