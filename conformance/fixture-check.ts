/**
 * Checks, before running the cases, that the target holds the fixture data:
 * every fixture study found by its patient's ID, with all its instances.
 */
import { TAG, text, type DicomDataset } from './dicom-json.js';
import { FIXTURE } from './fixtures.js';
import type { HttpClient } from './http.js';

export interface FixtureCheck {
  ok: boolean;
  /** One line per missing or incomplete study, or per failed request. */
  problems: string[];
}

async function studiesOf(client: HttpClient, baseUrl: string, patientId: string): Promise<DicomDataset[]> {
  const res = await client.get(`${baseUrl}/studies?PatientID=${patientId}`, { accept: 'application/dicom+json' });
  if (res.status === 204) return [];
  const body = res.status === 200 ? res.json() : undefined;
  if (!Array.isArray(body)) throw new Error(`GET /studies?PatientID=${patientId} answered HTTP ${res.status}, not a DICOM JSON array`);
  return body as DicomDataset[];
}

export async function checkFixtures(client: HttpClient, baseUrl: string): Promise<FixtureCheck> {
  const problems: string[] = [];
  for (const patient of FIXTURE.patients) {
    let found: DicomDataset[];
    try {
      found = await studiesOf(client, baseUrl, patient.id);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    for (const study of patient.studies) {
      const hit = found.find((d) => text(d, TAG.StudyInstanceUID) === study.uid);
      const expected = study.series.reduce((n, s) => n + s.instances, 0);
      const count = hit ? text(hit, TAG.NumberOfStudyRelatedInstances) : undefined;
      if (!hit) problems.push(`${patient.id} study ${study.accession} (${study.date}) not found`);
      else if (count !== undefined && count !== String(expected)) problems.push(`${patient.id} study ${study.accession} has ${count} of ${expected} instances`);
    }
  }
  return { ok: problems.length === 0, problems };
}
