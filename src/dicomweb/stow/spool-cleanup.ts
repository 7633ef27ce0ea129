/**
 * Spool files of a gateway process that ended without releasing them (killed,
 * crashed, power cut) would fill the spool folder over time. Each process spools
 * into its own sub-folder named by its PID (spoolDirectory), so a starting
 * gateway can remove the folders of processes that no longer exist without
 * touching the parts another live gateway on the same folder is storing.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** Loose spool files of the flat layout of earlier versions are removed once this old. */
const LOOSE_FILE_MAX_AGE_MS = 60 * 60 * 1000;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(base: string, name: string, now: number): boolean {
  if (/^\d+$/.test(name)) return Number(name) !== process.pid && !processExists(Number(name));
  if (!/^stow-.*\.part$/.test(name)) return false; // not ours
  return now - statSync(path.join(base, name)).mtimeMs > LOOSE_FILE_MAX_AGE_MS;
}

/** Removes what ended processes left in the spool folder; returns how many entries went. */
export function removeStaleSpools(base: string, log: Logger, now = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return 0; // no folder yet
  }
  let removed = 0;
  for (const name of names) {
    try {
      if (!isStale(base, name, now)) continue;
      rmSync(path.join(base, name), { recursive: true, force: true });
      removed++;
    } catch (err) {
      log.warn({ err, entry: name }, 'could not remove a stale STOW-RS spool entry');
    }
  }
  if (removed > 0) log.info({ removed }, 'removed STOW-RS spool files left by ended gateway processes');
  return removed;
}
