import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { StateDatabase } from '../../src/state/database.js';
import { MigrationError, type Migration } from '../../src/state/migrations.js';

const log = pino({ level: 'silent' });
const V1: Migration = { version: 1, description: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' };
const V2: Migration = { version: 2, description: 'notes.author', sql: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''" };

function withDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-state-unit-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('migrations run once per module, survive reopening, and move forward from an older version', (t) => {
  const { dir, done } = withDir();
  t.teardown(done);
  const first = new StateDatabase(dir, log);
  t.is(first.migrate('notes', [V1]), 1);
  t.is(first.migrate('notes', [V1]), 0);
  first.sqlite.prepare('INSERT INTO notes (text) VALUES (?)').run('kept');
  first.close();

  const second = new StateDatabase(dir, log);
  t.teardown(() => second.close());
  t.is(second.migrate('notes', [V1, V2]), 1);
  t.deepEqual(second.sqlite.prepare('SELECT text, author FROM notes').all(), [{ text: 'kept', author: '' }]);
  t.is(second.migrate('other', [{ version: 1, description: 'other', sql: 'CREATE TABLE other (id INTEGER)' }]), 1, 'each module has its own version');
});

test('a database newer than the gateway, or migrations out of order, are refused with a clear error', (t) => {
  const { dir, done } = withDir();
  t.teardown(done);
  const db = new StateDatabase(dir, log);
  t.teardown(() => db.close());
  db.migrate('notes', [V1, V2]);
  t.throws(() => db.migrate('notes', [V1]), { instanceOf: MigrationError, message: /newer than this gateway knows/ });
  t.throws(() => db.migrate('gaps', [V2]), { instanceOf: MigrationError, message: /numbered 1, 2, 3/ });
});

test('a failing migration leaves nothing half applied', (t) => {
  const { dir, done } = withDir();
  t.teardown(done);
  const db = new StateDatabase(dir, log);
  t.teardown(() => db.close());
  const broken: Migration = { version: 1, description: 'broken', sql: 'CREATE TABLE a (x INTEGER); CREATE TABLE a (y INTEGER)' };
  t.throws(() => db.migrate('broken', [broken]), { instanceOf: MigrationError, message: /migration 1 of broken \(broken\) failed: table a already exists/ });
  t.deepEqual(db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'a'").all(), []);
  t.is(db.migrate('broken', [{ ...broken, sql: 'CREATE TABLE a (x INTEGER)' }]), 1);
});
