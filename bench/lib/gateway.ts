// The gateway under test as a separate process (`node dist/src/main.js`), so
// that its CPU and memory are its own: build when dist is stale, start on a
// free loopback port, wait until it answers, stop by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { freePort } from '../../scripts/net/free-port.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN_JS = path.join(projectRoot, 'dist', 'src', 'main.js');
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;
const BASE_PATH = '/dicom-web';

export interface GatewayProcess {
  pid: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  basePath: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  upstreamUrl: string;
  logFile: string;
  /** Extra GATEWAY_* variables (cache settings, ...). */
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...']. */
  nodeArgs?: string[];
  /** Entry point to run instead of dist/src/main.js (a candidate build elsewhere). */
  main?: string;
  /** Run src/main.ts through tsx instead of the build. */
  fromSource?: boolean;
}

function entryArgs(opts: GatewayOptions): string[] {
  if (opts.fromSource) return ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts')];
  return [opts.main ? path.resolve(opts.main) : MAIN_JS];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    newest = Math.max(newest, t);
  }
  return newest;
}

/** Runs `npm run build` when any source or tsconfig is newer than dist/src/main.js. */
export function ensureBuilt(log: (line: string) => void): void {
  const sources = Math.max(
    newestMtime(path.join(projectRoot, 'src')),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(path.join(projectRoot, f)).mtimeMs),
  );
  if (existsSync(MAIN_JS) && statSync(MAIN_JS).mtimeMs >= sources) {
    log('gateway build: dist is up to date');
  } else {
    log('gateway build: dist is stale or missing, running npm run build');
    const res = spawnSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    if (res.status !== 0) {
      // tsc still emits JavaScript on type errors; a gateway that cannot run fails the readiness wait.
      if (!existsSync(MAIN_JS)) throw new Error(`npm run build failed (exit ${res.status ?? res.signal}) and there is no dist/src/main.js`);
      log(`WARNING: npm run build reported errors (exit ${res.status ?? res.signal}); benchmarking the JavaScript tsc emitted anyway`);
    }
  }
}



const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Any HTTP answer from the gateway itself (its 404 for `/`) means it listens. */
async function waitReady(child: ChildProcess, origin: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`gateway exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${tail(logFile)}`);
    try {
      const res = await request(`${origin}/`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 404 && res.headers['x-request-id']) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`gateway did not answer within ${READY_TIMEOUT_MS} ms:\n${tail(logFile)}`);
}

function terminate(child: ChildProcess): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return Promise.resolve();
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && !hasExited(child) && process.kill(child.pid, 'SIGKILL'), STOP_GRACE_MS);
  return done.finally(() => clearTimeout(timer));
}

export async function startGateway(opts: GatewayOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_PORT: String(port),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_UPSTREAM_URL: opts.upstreamUrl,
    GATEWAY_LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entryArgs(opts)], { cwd: projectRoot, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.on('error', () => undefined); // reported through waitReady
  const origin = `http://127.0.0.1:${port}`;
  const stop = () => terminate(child);
  try {
    await waitReady(child, origin, opts.logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, origin, basePath: BASE_PATH, logFile: opts.logFile, stop };
}
