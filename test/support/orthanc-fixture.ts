/**
 * One Orthanc per test file (ava runs files in separate processes), loaded with
 * generated studies; each test still builds and tears down its own gateway.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { startOrthanc, orthancAvailable, type OrthancInstance } from '../../scripts/orthanc/harness.js';
import { generateStudy, type GeneratedInstance, type StudySpec } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';

export interface LoadedOrthanc {
  orthanc: OrthancInstance;
  instances: GeneratedInstance[];
}

/** Starts Orthanc before the file's tests and stops it after; fails loudly if Orthanc is missing. */
export function useOrthanc(test: TestFn, studies: StudySpec[]): () => LoadedOrthanc {
  let loaded: LoadedOrthanc | undefined;
  test.before(async () => {
    const available = orthancAvailable();
    if (!available.ok) throw new Error(available.reason);
    const orthanc = await startOrthanc();
    const instances = studies.flatMap(generateStudy);
    const result = await loadIntoOrthanc(orthanc.baseUrl, instances.map((i) => i.part10));
    if (result.failed.length > 0) {
      await orthanc.stop();
      throw new Error(`Orthanc refused ${result.failed.length} generated instances: ${JSON.stringify(result.failed[0])}`);
    }
    loaded = { orthanc, instances };
  });
  test.after.always(async () => {
    await loaded?.orthanc.stop();
  });
  return () => {
    if (!loaded) throw new Error('Orthanc fixture not started');
    return loaded;
  };
}

export type { ExecutionContext };
