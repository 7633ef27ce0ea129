// Command-line options shared by all benchmarks (`npm run bench -- NAME ...`).
import { parseArgs } from 'node:util';

export interface BenchOptions {
  studies: number;
  seed: number;
  /** Seconds per measured round. */
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  concurrency: number;
  maxRequestsPerRound: number;
  /** Scenario ids to run (empty: all). */
  only: string[];
  /** Write a V8 CPU profile of the gateway process into this directory. */
  cpuProfDir?: string;
  /** GATEWAY_CACHE_TTL_MS for the gateway (default: the shipped configuration). */
  cacheTtlMs?: number;
  /** Gateway entry point to run instead of dist/src/main.js (no build). */
  gatewayMain?: string;
  /** Run the gateway from src/ through tsx instead of dist/. */
  fromSource: boolean;
  /** wado, stow: extra GATEWAY_* variables for the gateway (a setting to compare against the shipped one). */
  gatewayEnv: Record<string, string>;
  /** wado: instances of the ~100 MB 512x512 CT series. */
  seriesInstances: number;
  /** wado: MB streamed through the slow reader for the RSS check; stow: MB of the large upload. */
  streamMb: number;
  /** wado: the slow reader's rate in MB/s. */
  readMbps: number;
  /** stow: instances per measured round. */
  stowInstances: number;
  /** load: length of the run in seconds. */
  duration: number;
}

export const USAGE = `usage: npm run bench -- <benchmark> [options]

benchmarks: qido, wado, stow, load, prefetch

options:
  --studies N          studies generated and loaded into Orthanc (default 220, at least 1)
  --seed N             population seed (default 1)
  --seconds S          length of one measured round (default 4)
  --rounds N           measured rounds per target and scenario (default 3)
  --warmup-seconds S   warm-up per target and scenario, not measured (default 1)
  --concurrency N      requests in flight, same for both targets (default 8)
  --max-requests N     request budget of one round (default 100000)
  --only a,b           run only these scenario ids (see bench/README.md)
  --cache-ttl-ms N     GATEWAY_CACHE_TTL_MS for the gateway (default: config/default.json)
  --cpu-prof-dir DIR   run the gateway with node --cpu-prof, profile written to DIR
  --gateway-main FILE  run this gateway entry point instead of building dist/src/main.js
                       (e.g. a patched copy, to measure a candidate fix)
  --from-source        run the gateway as node --import tsx src/main.ts (no build)
  --gateway-env K=V    wado, stow: set GATEWAY_* variable K (or NODE_OPTIONS) for the gateway
                       (repeatable), e.g. GATEWAY_WADO_READ_AHEAD_AFTER_INSTANCES=2
  --series-instances N wado: 512x512 CT instances of the retrieved series (default 200, ~105 MB)
  --stream-mb N        wado: MB streamed through one slow reader (default 1024);
                       stow: MB of the single large upload (default 1024)
  --read-mbps N        wado: rate of the slow reader in MB/s (default 40)
  --stow-instances N   stow: 512x512 CT instances per measured round (default 200)
  --duration S         load: length of the mixed-traffic run (default 60)
  -h, --help           this text`;

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`--${name} must be a number in (0, ${max}], got "${raw}"`);
  return value;
}

const integer = (name: string, raw: string | undefined, fallback: number, max: number) => {
  const value = positive(name, raw, fallback, max);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, got "${raw}"`);
  return value;
};

function gatewayVariables(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^(GATEWAY_[A-Z0-9_]+|NODE_OPTIONS)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--gateway-env takes GATEWAY_NAME=value or NODE_OPTIONS=flags, got "${pair}"`);
    env[match[1]!] = match[2]!;
  }
  return env;
}

/** Parses argv after the benchmark name; throws with a readable message on bad input. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      studies: { type: 'string' },
      seed: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'max-requests': { type: 'string' },
      only: { type: 'string' },
      'cache-ttl-ms': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      'gateway-main': { type: 'string' },
      'from-source': { type: 'boolean', default: false },
      'gateway-env': { type: 'string', multiple: true },
      'series-instances': { type: 'string' },
      'stream-mb': { type: 'string' },
      'read-mbps': { type: 'string' },
      'stow-instances': { type: 'string' },
      duration: { type: 'string' },
    },
  });
  return {
    studies: integer('studies', values.studies, 220, 20_000),
    seed: integer('seed', values.seed, 1, 2 ** 31),
    seconds: positive('seconds', values.seconds, 4, 60),
    rounds: integer('rounds', values.rounds, 3, 20),
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], 1, 30),
    concurrency: integer('concurrency', values.concurrency, 8, 256),
    maxRequestsPerRound: integer('max-requests', values['max-requests'], 100_000, 10_000_000),
    only: (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    cpuProfDir: values['cpu-prof-dir'],
    gatewayMain: values['gateway-main'],
    fromSource: values['from-source'] ?? false,
    gatewayEnv: gatewayVariables(values['gateway-env'] ?? []),
    seriesInstances: integer('series-instances', values['series-instances'], 200, 2000),
    streamMb: integer('stream-mb', values['stream-mb'], 1024, 16_384),
    readMbps: positive('read-mbps', values['read-mbps'], 40, 10_000),
    stowInstances: integer('stow-instances', values['stow-instances'], 200, 5000),
    duration: positive('duration', values.duration, 60, 600),
    cacheTtlMs: values['cache-ttl-ms'] === undefined ? undefined : integer('cache-ttl-ms', values['cache-ttl-ms'], 0, 86_400_000),
  };
}
