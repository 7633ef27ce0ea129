// `npm run bench -- <benchmark> [options]`: dispatches to bench/<benchmark>.ts.
// Each benchmark module exports `run(options, cleanup)`; everything it starts
// is registered with `cleanup` and stopped at the end, on errors and on Ctrl-C.
import { Cleanup } from './lib/cleanup.js';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.js';

export interface BenchmarkModule {
  run(options: BenchOptions, cleanup: Cleanup): Promise<void>;
}

/** Each benchmark is a sibling module bench/<name>.ts. */
const BENCHMARKS: Record<string, () => Promise<BenchmarkModule>> = {
  qido: () => import('./qido.js'),
  wado: () => import('./wado.js'),
  stow: () => import('./stow.js'),
  load: () => import('./load.js'),
  prefetch: () => import('./prefetch.js'),
};

/** Hard upper bound of one benchmark run; it stops itself past it. */
const RUN_TIMEOUT_MS = 15 * 60_000;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || rest.includes('-h') || rest.includes('--help')) {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const load = BENCHMARKS[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  let options: BenchOptions;
  try {
    options = parseOptions(rest);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const cleanup = new Cleanup();
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded ${RUN_TIMEOUT_MS / 60_000} minutes; stopping`);
    void cleanup.runAll().then(() => process.exit(3));
  }, RUN_TIMEOUT_MS);
  watchdog.unref();
  try {
    await (await load()).run(options, cleanup);
    return 0;
  } catch (err) {
    if (cleanup.interrupted) return 130;
    console.error(`\nbenchmark ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup.runAll();
    clearTimeout(watchdog);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
