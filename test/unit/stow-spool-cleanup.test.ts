import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { removeStaleSpools } from '../../src/dicomweb/stow/spool-cleanup.js';
import { spoolDirectory } from '../../src/dicomweb/stow/spool.js';

/** The PID of a process that has ended (a child that exited). */
function endedPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

test('spool folders of ended processes and old loose spool files are removed; live ones and foreign files stay', (t) => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'dwgw-spool-cleanup-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const dead = path.join(base, String(endedPid()));
  const own = spoolDirectory(base);
  const parent = path.join(base, String(process.ppid));
  for (const dir of [dead, own, parent]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'stow-x.part'), 'part');
  }
  const oldLoose = path.join(base, 'stow-old.part');
  const newLoose = path.join(base, 'stow-new.part');
  const foreign = path.join(base, 'notes.txt');
  for (const file of [oldLoose, newLoose, foreign]) writeFileSync(file, 'x');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(oldLoose, twoHoursAgo, twoHoursAgo);
  utimesSync(foreign, twoHoursAgo, twoHoursAgo);

  t.is(removeStaleSpools(base, pino({ level: 'silent' })), 2);
  t.false(existsSync(dead));
  t.false(existsSync(oldLoose));
  for (const kept of [own, parent, newLoose, foreign]) t.true(existsSync(kept), kept);
});

test('a missing spool folder is not an error', (t) => {
  t.is(removeStaleSpools(path.join(os.tmpdir(), 'dwgw-no-such-spool-folder'), pino({ level: 'silent' })), 0);
});
