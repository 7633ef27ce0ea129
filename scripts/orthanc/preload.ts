// Builds (once per source version) the LD_PRELOAD shim that works around
// "Crash 1" of the upstream notes: civetweb's tiny thread stacks overflow
// when Orthanc transcodes. Kept apart from harness.ts so the harness stays
// about process lifecycle.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sourcePath = fileURLToPath(new URL('./stack-preload.c', import.meta.url));

let cached: { path: string | undefined } | undefined;

/** Path of the compiled shim, or undefined (with a warning) when it cannot be built. */
export function stackPreloadLibrary(): string | undefined {
  if (cached) return cached.path;
  cached = { path: buildPreload() };
  return cached.path;
}

function buildPreload(): string | undefined {
  const source = readFileSync(sourcePath);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const target = path.join(os.tmpdir(), `dicomweb-gateway-orthanc-preload-${hash}.so`);
  if (existsSync(target)) return target;
  // Compile to a private name and rename: parallel test workers may race here,
  // and rename is atomic, so nobody ever loads a half-written library.
  const partial = `${target}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', partial, sourcePath, '-ldl'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    renameSync(partial, target);
    return target;
  } catch (err) {
    rmSync(partial, { force: true });
    const detail = describeCompileError(err);
    process.stderr.write(
      `[orthanc-harness] warning: could not build the thread-stack LD_PRELOAD shim (${detail}); ` +
        'starting Orthanc without it - transcoding WADO-RS requests may crash it\n',
    );
    return undefined;
  }
}

function describeCompileError(err: unknown): string {
  const e = err as { code?: string; stderr?: Buffer; message?: string };
  if (e.code === 'ENOENT') return 'no C compiler "cc" on PATH; apt-get install gcc';
  const stderr = e.stderr?.toString().trim();
  return stderr ? stderr.split('\n').slice(-3).join(' | ') : String(e.message ?? err);
}
