// Throw-away Orthanc (Debian 1.10.1 + DICOMweb 1.7 + GDCM 1.5) for tests,
// benchmarks and the demo. Never installs anything; see
// shared/notes/orthanc-upstream.md for why the config looks the way it does.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { discover, orthancAvailable } from './discovery.js';
import { stackPreloadLibrary } from './preload.js';
import { freePort } from '../net/free-port.js';

export { orthancAvailable };

export interface OrthancOptions {
  /** Where Orthanc keeps its files and SQLite index; never deleted by stop() when given. */
  storageDir?: string;
  /** Keep the temp dir (config, log, default storage) after stop(). */
  keepStorage?: boolean;
  httpPort?: number;
  logFile?: string;
  /** Merged into the generated config (plain objects are merged key by key). */
  extraConfig?: Record<string, unknown>;
}

export interface OrthancInstance {
  pid: number;
  httpPort: number;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** http://127.0.0.1:PORT/dicom-web */
  dicomWebUrl: string;
  storageDir: string;
  logFile: string;
  /** SIGTERM by PID, wait for exit, SIGKILL after 10 s; removes the temp dir unless keepStorage. */
  stop(): Promise<void>;
}

const JPEG2000_SYNTAXES = ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.92', '1.2.840.10008.1.2.4.93'];
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

// ---------- config ----------


type Json = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

function buildConfig(port: number, storageDir: string, plugins: string[], extra: Json): Json {
  const base: Json = {
    Name: 'dicomweb-gateway-test',
    HttpPort: port,
    DicomServerEnabled: false,
    StorageDirectory: storageDir,
    IndexDirectory: storageDir,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpDescribeErrors: true,
    // Debian defaults to Latin1, which loses non-Latin-1 names in QIDO answers.
    DefaultEncoding: 'Utf8',
    StableAge: 1,
    ConcurrentJobs: 1,
    SaveJobs: false,
    Plugins: plugins,
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    // GDCM's JPEG-LS path binds to DCMTK's CharLS and crashes (notes: Crash 2).
    Gdcm: { RestrictTransferSyntaxes: JPEG2000_SYNTAXES },
  };
  return merge(base, extra);
}

// ---------- process lifecycle ----------

// One 'exit' hook for all live servers: if the test process ends without
// calling stop() (failed assertion, uncaught error), the servers die with it
// and their temp dirs go too. Signals and SIGKILL bypass 'exit'; for those the
// LD_PRELOAD shim's parent-death signal is the safety net.
const live = new Map<ChildProcess, string | undefined>();
process.once('exit', () => {
  for (const [child, dirToRemove] of live) {
    child.kill('SIGKILL');
    if (dirToRemove) rmSync(dirToRemove, { recursive: true, force: true });
  }
});

class EarlyExit extends Error {
  constructor(message: string, readonly portInUse: boolean) {
    super(message);
  }
}

// Orthanc 1.10's message when HttpPort cannot be bound.
const PORT_IN_USE = /TCP port of the HTTP server is privileged or already in use/;

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function launch(binary: string, configFile: string, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const preload = stackPreloadLibrary();
  if (preload) {
    env.LD_PRELOAD = [preload, env.LD_PRELOAD].filter(Boolean).join(':');
    env.ORTHANC_HARNESS_PARENT_PID = String(process.pid);
  }
  try {
    const child = spawn(binary, [configFile], { detached: false, stdio: ['ignore', fd, fd], env });
    // A failed spawn reports through 'error'; waitReady sees the missing pid.
    child.on('error', () => undefined);
    live.set(child, undefined);
    child.once('exit', () => live.delete(child));
    return child;
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

const hasExited = (child: ChildProcess) => child.pid === undefined || child.exitCode !== null || child.signalCode !== null;

function exited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function systemAnswers(baseUrl: string): Promise<boolean> {
  try {
    const res = await request(`${baseUrl}/system`, { headersTimeout: 2000, bodyTimeout: 2000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

async function waitReady(child: ChildProcess, baseUrl: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      const how = child.pid === undefined ? 'spawn failed' : child.exitCode !== null ? `code ${child.exitCode}` : `signal ${child.signalCode}`;
      const log = tail(logFile, 40);
      throw new EarlyExit(`Orthanc exited during startup (${how}); last log lines:\n${log}`, PORT_IN_USE.test(log));
    }
    if (await systemAnswers(baseUrl)) return;
    await sleep(100);
  }
  throw new Error(`Orthanc did not answer GET /system within ${READY_TIMEOUT_MS} ms; last log lines:\n${tail(logFile, 40)}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await done;
  clearTimeout(timer);
}

// ---------- public entry point ----------

interface Attempt { child: ChildProcess; port: number; baseUrl: string }

async function attempt(binary: string, tempDir: string, storageDir: string, logFile: string, opts: OrthancOptions, plugins: string[]): Promise<Attempt> {
  const port = opts.httpPort ?? (await freePort());
  const configFile = path.join(tempDir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(buildConfig(port, storageDir, plugins, opts.extraConfig ?? {}), null, 2));
  const child = launch(binary, configFile, logFile);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, baseUrl, logFile);
    return { child, port, baseUrl };
  } catch (err) {
    await terminate(child);
    throw err;
  }
}

export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancInstance> {
  const found = discover();
  if (!found.binary || !found.dicomWeb || !found.gdcm) {
    const check = orthancAvailable();
    throw new Error(`Orthanc is not available: ${check.ok ? 'unknown reason' : check.reason}`);
  }
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'dicomweb-gateway-orthanc-'));
  const storageDir = opts.storageDir ?? path.join(tempDir, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const logFile = opts.logFile ?? path.join(tempDir, 'orthanc.log');
  const plugins = [found.dicomWeb, found.gdcm];
  let started: Attempt | undefined;
  // A port found free can be taken before Orthanc binds it; only then retry.
  for (let i = 0; !started; i++) {
    try {
      started = await attempt(found.binary, tempDir, storageDir, logFile, opts, plugins);
    } catch (err) {
      const retry = err instanceof EarlyExit && err.portInUse && opts.httpPort === undefined && i < 2;
      if (!retry) {
        if (!opts.keepStorage) rmSync(tempDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return instance(started, tempDir, storageDir, logFile, opts.keepStorage ?? false);
}

function instance(started: Attempt, tempDir: string, storageDir: string, logFile: string, keep: boolean): OrthancInstance {
  const { child, port, baseUrl } = started;
  if (live.has(child) && !keep) live.set(child, tempDir);
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    httpPort: port,
    baseUrl,
    dicomWebUrl: `${baseUrl}/dicom-web`,
    storageDir,
    logFile,
    stop() {
      stopping ??= terminate(child).then(() => {
        if (!keep) rmSync(tempDir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}
