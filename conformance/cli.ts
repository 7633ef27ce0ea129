/**
 * `npm run conformance -- <baseUrl> [--load] [--timeout <ms>] [--only <ids>]`
 *
 * Runs the QIDO-RS, WADO-RS and STOW-RS conformance cases against any DICOMweb root. With --load the
 * fixtures are first stored into the target with STOW-RS; without it the target
 * must already hold them. Exit status: 0 all gating cases passed, 1 a case
 * failed (or loading failed), 2 usage error or fixtures missing.
 */
import { parseArgs } from 'node:util';
import { allCases } from './cases/index.js';
import { checkFixtures } from './fixture-check.js';
import { fixtureInstanceCount, fixtureInstances } from './fixtures.js';
import { HttpClient, normalizeBaseUrl } from './http.js';
import { formatSummary, summarize } from './report.js';
import { runSuite } from './runner.js';
import { storeInstances } from './stow.js';
import type { ConformanceCase } from './types.js';

const USAGE = `usage: npm run conformance -- <baseUrl> [--load] [--timeout <ms>] [--only QIDO-01,QIDO-02]
  <baseUrl>   DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web
  --load      first store the fixtures (${fixtureInstanceCount()} instances of patients CONF-*) with STOW-RS
  --timeout   time budget per case in ms (default 20000)
  --only      comma-separated case ids to run`;

class UsageError extends Error {}

interface CliOptions { baseUrl: string; load: boolean; timeoutMs: number; cases: readonly ConformanceCase[] }

const OPTIONS = {
  load: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  only: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseRaw(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parse(argv: string[]): CliOptions {
  const { values, positionals } = parseRaw(argv);
  if (values.help || positionals.length !== 1) throw new UsageError(values.help ? '' : 'expected exactly one base URL');
  const timeoutMs = values.timeout === undefined ? 20_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive integer, got "${values.timeout}"`);
  const only = values.only?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  const all = allCases;
  const cases = only ? all.filter((c) => only.includes(c.id)) : all;
  const unknown = only?.filter((id) => !all.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown case id(s): ${unknown.join(', ')}`);
  return { baseUrl: normalizeBaseUrl(positionals[0]!), load: values.load ?? false, timeoutMs, cases };
}


async function load(client: HttpClient, baseUrl: string): Promise<boolean> {
  const instances = fixtureInstances();
  console.log(`Storing ${instances.length} fixture instances into ${baseUrl} with STOW-RS (POST /studies)...`);
  const outcomes = await storeInstances(client, baseUrl, instances);
  for (const o of outcomes) console.log(`  ${o.ok ? 'stored' : 'FAILED'} study ${o.studyUid}: ${o.detail}`);
  return outcomes.every((o) => o.ok);
}

async function fixturesPresent(client: HttpClient, baseUrl: string): Promise<boolean> {
  const check = await checkFixtures(client, baseUrl);
  if (check.ok) return true;
  console.error(`The conformance fixtures are not (completely) in ${baseUrl}:`);
  for (const p of check.problems) console.error(`  - ${p}`);
  console.error(`Load them once with STOW-RS:\n  npm run conformance -- ${baseUrl} --load`);
  console.error('(or store the instances another way: patients CONF-ALPHA, CONF-MULLER, CONF-DVORAK; see conformance/README.md)');
  return false;
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  const client = new HttpClient(opts.timeoutMs);
  try {
    if (opts.load && !(await load(client, opts.baseUrl))) {
      console.error('Loading the fixtures failed; the target may not implement STOW-RS. Load them another way and run without --load.');
      return 1;
    }
    if (!(await fixturesPresent(client, opts.baseUrl))) return 2;
  } finally {
    await client.close();
  }
  const n = opts.cases.length;
  console.log(`Running ${n} DICOMweb case${n === 1 ? '' : 's'} against ${opts.baseUrl}`);
  const results = await runSuite(opts.baseUrl, { timeoutMs: opts.timeoutMs, cases: opts.cases });
  console.log(formatSummary(opts.baseUrl, results));
  return summarize(results).gatingFailures > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      if (err.message) console.error(err.message);
      console.error(USAGE);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
