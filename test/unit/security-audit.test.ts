/**
 * The audit trail's file sink (append-only JSON lines, rotation by size and
 * day, torn-line repair), the reader's filters, and RFC 5424 formatting.
 */
import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { EVENT_IDS, type AuditEvent } from '../../src/security/audit/event.js';
import { AuditFileSink, auditFileName } from '../../src/security/audit/file-sink.js';
import { readAuditEvents } from '../../src/security/audit/reader.js';
import { parseAuditFilter } from '../../src/security/audit/routes.js';
import { formatRfc5424 } from '../../src/security/audit/syslog.js';
import { AuditTrail } from '../../src/security/audit/trail.js';
import { auditQueryText } from '../../src/security/audit/middleware.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sec-audit-'));
const today = () => new Date().toISOString().slice(0, 10);

function event(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: new Date().toISOString(),
    eventType: 'Query',
    eventId: EVENT_IDS.Query,
    action: 'E',
    outcome: 0,
    user: { id: 'u1', kind: 'token' },
    source: { id: 'gw', host: 'h', pid: 1 },
    ...over,
  };
}

test('events are appended as JSON lines; concurrent appends share batches and all land', async (t) => {
  const dir = tmp();
  const sink = new AuditFileSink({ dir, durability: 'fsync', rotateBytes: 1 << 20 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => sink.append(JSON.stringify({ i }))));
  await sink.close();
  const lines = readFileSync(path.join(dir, auditFileName(today(), 0)), 'utf8').trim().split('\n');
  t.is(lines.length, 50);
  t.deepEqual(lines.map((l) => (JSON.parse(l) as { i: number }).i).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
});

test('a file that reaches rotateBytes is continued in the next one', async (t) => {
  const dir = tmp();
  const sink = new AuditFileSink({ dir, durability: 'write', rotateBytes: 4096 });
  for (let i = 0; i < 40; i++) await sink.append(JSON.stringify({ i, pad: 'x'.repeat(200) }));
  await sink.close();
  const files = readdirSync(dir).sort();
  t.true(files.length >= 2, files.join(','));
  t.true(files.includes(auditFileName(today(), 1)));
  for (const f of files) t.true(readFileSync(path.join(dir, f)).length <= 4096);
});

test('a line torn by a crash is closed on restart and skipped by the reader', async (t) => {
  const dir = tmp();
  writeFileSync(path.join(dir, auditFileName(today(), 0)), `${JSON.stringify(event({ user: { id: 'before', kind: 'token' } }))}\n{"time":"2020-01-01T00:00:00Z","eventTy`);
  const sink = new AuditFileSink({ dir, durability: 'fsync', rotateBytes: 1 << 20 });
  await sink.append(JSON.stringify(event({ user: { id: 'after', kind: 'token' } })));
  await sink.close();
  const { events } = await readAuditEvents(dir, { limit: 10 });
  t.deepEqual(events.map((e) => e.user.id), ['after', 'before']);
});

test('the reader filters by user, type, study, patient, outcome and time, newest first', async (t) => {
  const dir = tmp();
  const lines = [
    event({ time: '2024-01-01T10:00:00.000Z', user: { id: 'a', kind: 'token' }, studies: ['1.2'], patients: [{ id: 'P1' }] }),
    event({ time: '2024-01-01T11:00:00.000Z', eventType: 'Security Alert', eventId: EVENT_IDS['Security Alert'], outcome: 4, user: { id: 'b', kind: 'token' }, studies: ['1.3'] }),
    event({ time: '2024-01-02T09:00:00.000Z', user: { id: 'a', kind: 'token' }, studies: ['1.3'], patients: [{ id: 'P2' }] }),
  ];
  writeFileSync(path.join(dir, auditFileName('2024-01-01', 0)), lines.slice(0, 2).map((e) => JSON.stringify(e)).join('\n') + '\n');
  appendFileSync(path.join(dir, auditFileName('2024-01-02', 0)), `${JSON.stringify(lines[2])}\n`);
  const read = async (q: string) => (await readAuditEvents(dir, parseAuditFilter(new URLSearchParams(q)))).events.map((e) => e.time.slice(0, 13));
  t.deepEqual(await read(''), ['2024-01-02T09', '2024-01-01T11', '2024-01-01T10']);
  t.deepEqual(await read('user=a'), ['2024-01-02T09', '2024-01-01T10']);
  t.deepEqual(await read('type=110113'), ['2024-01-01T11']);
  t.deepEqual(await read('type=Query&study=1.3'), ['2024-01-02T09']);
  t.deepEqual(await read('patient=P1'), ['2024-01-01T10']);
  t.deepEqual(await read('outcome=failure'), ['2024-01-01T11']);
  t.deepEqual(await read('since=2024-01-01T10:30:00Z&until=2024-01-01T23:59:59Z'), ['2024-01-01T11']);
  t.deepEqual(await read('limit=1'), ['2024-01-02T09']);
  t.throws(() => parseAuditFilter(new URLSearchParams('nosuch=1')), { message: /Unknown parameter/ });
  t.throws(() => parseAuditFilter(new URLSearchParams('since=yesterday')), { message: /ISO 8601/ });
});

test('RFC 5424: priority from facility and outcome, structured data, BOM and the JSON event', (t) => {
  const line = formatRfc5424(event({ outcome: 4, user: { id: 'x"]\\y', kind: 'token' } }), { facility: 10, appName: 'gw' }, 'host-1');
  t.regex(line, /^<84>1 \d{4}-\d\d-\d\dT[\d:.]+Z host-1 gw \d+ Query \[audit@32473 eventId="110112" outcome="4" user="x\\"\\]\\\\y"\] \uFEFF\{/);
  t.is((JSON.parse(line.slice(line.indexOf('\uFEFF') + 1)) as AuditEvent).eventType, 'Query');
  t.true(formatRfc5424(event(), { facility: 10, appName: 'gw' }, 'h').startsWith('<85>1 '));
});

test('the trail reports failure when its folder cannot be created, and does not retry within a second', async (t) => {
  const base = tmp();
  const blocker = path.join(base, 'blocker');
  writeFileSync(blocker, 'a file where the audit folder should be');
  const trail = new AuditTrail({ enabled: true, dir: path.join(blocker, 'audit'), durability: 'fsync', rotateBytes: 1 << 20, failClosed: true, resolvePatients: false, syslog: null }, pino({ level: 'silent' }));
  await t.throwsAsync(trail.record(event()));
  t.false(trail.healthy);
  t.false(await trail.recover(), 'no retry within a second of the failure');
  await trail.close();
});

test('query text for the audit: decoded, credentials removed', (t) => {
  t.is(auditQueryText('PatientName=M%C3%BCller*&access_token=eyJabc&limit=5&token=x'), 'PatientName=Müller*&limit=5');
});
