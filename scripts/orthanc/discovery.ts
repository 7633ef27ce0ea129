// Finds the Orthanc binary and the two plugins installed by Debian's
// orthanc, orthanc-dicomweb and orthanc-gdcm packages.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const APT_HINT = 'apt-get install orthanc orthanc-dicomweb orthanc-gdcm';

function findBinary(): string | undefined {
  // /usr/sbin is often missing from a non-root PATH, and that is where Debian puts it.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, 'Orthanc');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function findPlugin(pkg: string, stem: string): string | undefined {
  const matches = (file: string) => path.basename(file).startsWith(`${stem}.so`) && existsSync(file);
  try {
    const listed = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = listed.split('\n').filter(matches);
    // Prefer the real file in /usr/lib/orthanc over the /usr/share symlink.
    const found = files.find((f) => f.startsWith('/usr/lib/')) ?? files[0];
    if (found) return found;
  } catch {
    // no dpkg or package not installed: fall through to the usual location
  }
  const dir = '/usr/lib/orthanc';
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).map((f) => path.join(dir, f)).find(matches);
}

export function discover(): { binary?: string; dicomWeb?: string; gdcm?: string } {
  return {
    binary: findBinary(),
    dicomWeb: findPlugin('orthanc-dicomweb', 'libOrthancDicomWeb'),
    gdcm: findPlugin('orthanc-gdcm', 'libOrthancGdcm'),
  };
}

export function orthancAvailable(): { ok: true } | { ok: false; reason: string } {
  const found = discover();
  const missing: string[] = [];
  if (!found.binary) missing.push('orthanc (Orthanc binary)');
  if (!found.dicomWeb) missing.push('orthanc-dicomweb (libOrthancDicomWeb.so)');
  if (!found.gdcm) missing.push('orthanc-gdcm (libOrthancGdcm.so)');
  if (missing.length === 0) return { ok: true };
  return { ok: false, reason: `missing ${missing.join(', ')}; install with: apt-get update && ${APT_HINT}` };
}
