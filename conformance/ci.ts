/**
 * `npm run conformance:ci` - the suite in CI: a throw-away Orthanc with the
 * fixtures, the gateway in-process in front of it, the cases against both.
 *
 * Exit 0 only if the gateway passes every gating case AND Orthanc direct fails
 * at least one (which shows that the suite tests something the gateway adds).
 */
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../scripts/orthanc/harness.js';
import { loadIntoOrthanc } from '../scripts/fixtures/load.js';
import { startGateway, type RunningGateway } from '../test/support/gateway.js';
import { fixtureInstances } from './fixtures.js';
import { formatSummary, sideBySide, summarize } from './report.js';
import { runSuite } from './runner.js';
import type { CaseResult } from './types.js';

const APT_PACKAGES = 'orthanc orthanc-dicomweb orthanc-gdcm';

interface Stack {
  orthanc?: OrthancInstance;
  gateway?: RunningGateway;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what bringUp started (each part once, even if called again from a signal). */
async function teardown(stack: Stack): Promise<void> {
  const { gateway, orthanc } = stack;
  stack.gateway = undefined;
  stack.orthanc = undefined;
  try {
    if (gateway) {
      await gateway.close();
      console.log('gateway stopped');
    }
  } finally {
    if (orthanc) {
      await orthanc.stop(); // SIGTERM to this PID, SIGKILL after 10 s
      console.log(`Orthanc (pid ${orthanc.pid}) stopped${isAlive(orthanc.pid) ? ' - BUT IT IS STILL RUNNING' : ''}`);
    }
  }
}

async function bringUp(stack: Stack): Promise<{ gatewayUrl: string; orthancUrl: string }> {
  stack.orthanc = await startOrthanc();
  console.log(`Orthanc (pid ${stack.orthanc.pid}) at ${stack.orthanc.dicomWebUrl}`);
  const instances = fixtureInstances();
  const loaded = await loadIntoOrthanc(stack.orthanc.baseUrl, instances.map((i) => i.part10));
  if (loaded.failed.length > 0) {
    throw new Error(`loading the fixtures into Orthanc failed: ${loaded.failed.map((f) => `#${f.index} HTTP ${f.status} ${f.body.slice(0, 100)}`).join('; ')}`);
  }
  console.log(`fixtures loaded: ${loaded.stored} instances`);
  stack.gateway = await startGateway(stack.orthanc.dicomWebUrl);
  console.log(`gateway at ${stack.gateway.url} -> ${stack.orthanc.dicomWebUrl}`);
  return { gatewayUrl: stack.gateway.url, orthancUrl: stack.orthanc.dicomWebUrl };
}

async function runBoth(gatewayUrl: string, orthancUrl: string): Promise<{ gateway: CaseResult[]; orthanc: CaseResult[] }> {
  console.log(`\n=== gateway: ${gatewayUrl}`);
  const gateway = await runSuite(gatewayUrl);
  console.log(`\n=== Orthanc direct: ${orthancUrl}`);
  const orthanc = await runSuite(orthancUrl);
  return { gateway, orthanc };
}

/** Prints the comparison and returns the exit status. */
function verdict(gateway: CaseResult[], orthanc: CaseResult[]): number {
  console.log(`\n${sideBySide('gateway', gateway, 'Orthanc', orthanc)}\n`);
  console.log(formatSummary('gateway', gateway));
  console.log(formatSummary('Orthanc direct', orthanc, false));
  const gatewayFailures = summarize(gateway).gatingFailures;
  const orthancFailures = summarize(orthanc).gatingFailures;
  if (gatewayFailures > 0) {
    console.error(`\nFAILED: the gateway fails ${gatewayFailures} gating case(s).`);
    return 1;
  }
  if (orthancFailures === 0) {
    console.error('\nFAILED: Orthanc direct passes every case, so the suite proves nothing about the gateway.');
    return 1;
  }
  console.log(`\nOK: the gateway passes every gating case; Orthanc direct fails ${orthancFailures}.`);
  return 0;
}

async function main(): Promise<number> {
  const available = orthancAvailable();
  if (!available.ok) {
    console.error(`conformance:ci needs Orthanc with its DICOMweb and GDCM plugins: ${available.reason}`);
    console.error(`Install the Debian packages: apt-get update && apt-get install -y ${APT_PACKAGES}`);
    return 1;
  }
  const stack: Stack = {};
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping`);
    void teardown(stack).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { gatewayUrl, orthancUrl } = await bringUp(stack);
    const { gateway, orthanc } = await runBoth(gatewayUrl, orthancUrl);
    return verdict(gateway, orthanc);
  } finally {
    await teardown(stack);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`conformance:ci: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
