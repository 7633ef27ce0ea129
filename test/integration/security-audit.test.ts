/**
 * The audit trail end to end: fail-closed refuses requests while events cannot
 * be written and serves again once they can; fail-open serves and reports it;
 * events are forwarded as RFC 5424 syslog over UDP and TCP (loopback).
 */
import test from 'ava';
import { createSocket } from 'node:dgram';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway } from '../support/gateway.js';
import { auditFileName } from '../../src/security/audit/file-sink.js';
import type { AuditEvent } from '../../src/security/audit/event.js';
import { auditEvents, auditOf, call, tempDir } from './security-helpers.js';

async function emptyUpstream(): Promise<FakeUpstream> {
  return startFakeUpstream((_req, res) => {
    res.setHeader('content-type', 'application/dicom+json');
    res.end('[]');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('fail-closed: 503 while the audit folder cannot be written, nothing reaches the upstream; served again once it can', async (t) => {
  const fake = await emptyUpstream();
  const base = tempDir();
  const blocker = path.join(base, 'audit');
  writeFileSync(blocker, 'a file where the audit folder should be');
  const dir = path.join(blocker, 'events');
  const gw = await startGateway(fake.url, { security: { audit: { dir, failClosed: true } } });
  try {
    const refused = await call(`${gw.url}/studies?PatientID=X`);
    t.is(refused.status, 503);
    t.is(refused.json().code, 'AUDIT_UNAVAILABLE');
    t.is(refused.headers['retry-after'], '5');
    t.is(fake.requests.length, 0, 'no PHI fetched for an unaudited request');
    rmSync(blocker);
    let status = 503;
    for (let i = 0; i < 40 && status === 503; i++) {
      await sleep(100);
      status = (await call(`${gw.url}/studies?PatientID=X`)).status;
    }
    t.is(status, 204, 'served once the trail is writable again');
    const events = auditEvents(dir);
    t.truthy(events.find((e) => e.eventTypeCode?.meaning === 'Audit Recording Started'));
    t.truthy(events.find((e) => e.eventType === 'Query' && e.query === 'PatientID=X'));
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('fail-closed: a disk that fails mid-run (ENOSPC) refuses the answer instead of sending it unaudited', async (t) => {
  const fake = await emptyUpstream();
  const dir = tempDir();
  const day = new Date().toISOString().slice(0, 10);
  // Nearly full first file; the next one (after rotation) is /dev/full, where every write fails with ENOSPC.
  writeFileSync(path.join(dir, auditFileName(day, 0)), `${JSON.stringify({ filler: 'x'.repeat(3300) })}\n`);
  const gw = await startGateway(fake.url, { security: { audit: { dir, failClosed: true, rotateBytes: 4096 } } });
  try {
    for (let i = 0; i < 100 && !auditEvents(dir).some((e) => e.eventTypeCode?.meaning === 'Application Start'); i++) await sleep(20);
    symlinkSync('/dev/full', path.join(dir, auditFileName(day, 1)));
    const res = await call(`${gw.url}/studies?PatientID=${'Y'.repeat(600)}`);
    t.is(fake.requests.length, 1, 'the trail was healthy when the request came in');
    t.is(res.status, 503, 'but the answer is not sent without its event');
    t.is(res.json().code, 'AUDIT_UNAVAILABLE');
    t.is((await call(`${gw.url}/studies`)).status, 503, 'and later requests are refused up front');
    t.is(fake.requests.length, 1);
  } finally {
    await gw.close();
    await fake.close();
  }
});

test('fail-open (the default): requests are served and /status reports the failing trail', async (t) => {
  const fake = await emptyUpstream();
  const blocker = path.join(tempDir(), 'audit');
  writeFileSync(blocker, 'x');
  const gw = await startGateway(fake.url, { security: { audit: { dir: path.join(blocker, 'events') } } });
  try {
    t.is((await call(`${gw.url}/studies`)).status, 204);
    const status = (await call(`${gw.origin}/status`)).json<{ caches: { audit: { healthy: boolean; failures: number } } }>();
    t.false(status.caches.audit.healthy);
    t.true(status.caches.audit.failures > 0);
  } finally {
    await gw.close();
    await fake.close();
  }
});

function parseSyslog(message: string): { pri: number; msgId: string; event: AuditEvent } {
  const m = /^<(\d+)>1 \S+ \S+ \S+ \d+ (\S+) \[[^\]]*\] \uFEFF(.*)$/s.exec(message);
  if (!m) throw new Error(`not RFC 5424: ${message.slice(0, 200)}`);
  return { pri: Number(m[1]), msgId: m[2]!, event: JSON.parse(m[3]!) as AuditEvent };
}

test('syslog over UDP: one RFC 5424 datagram per event', async (t) => {
  const fake = await emptyUpstream();
  const receiver = createSocket('udp4');
  const messages: string[] = [];
  receiver.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const port = receiver.address().port;
  const audit = tempDir();
  const gw = await startGateway(fake.url, { security: { audit: { dir: audit, syslog: { host: '127.0.0.1', port, protocol: 'udp' } } } });
  try {
    const res = await call(`${gw.url}/studies?PatientID=SYS-1`);
    for (let i = 0; i < 100 && !messages.some((m) => m.includes('SYS-1')); i++) await sleep(20);
    const parsed = messages.map(parseSyslog).find((p) => p.event.query === 'PatientID=SYS-1');
    t.truthy(parsed);
    t.is(parsed?.pri, 10 * 8 + 5, 'authpriv.notice');
    t.is(parsed?.msgId, 'Query');
    t.is(parsed?.event.request?.id, (await auditOf(audit, res))?.request?.id, 'the same event as in the file');
  } finally {
    await gw.close();
    receiver.close();
    await fake.close();
  }
});

test('syslog over TCP: octet-counted frames (RFC 6587)', async (t) => {
  const fake = await emptyUpstream();
  let buffer = '';
  const server = createServer((socket) => socket.on('data', (c) => (buffer += c.toString('utf8'))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const gw = await startGateway(fake.url, { security: { audit: { dir: tempDir(), syslog: { host: '127.0.0.1', port, protocol: 'tcp' } } } });
  try {
    await call(`${gw.url}/studies?PatientID=TCP-1`);
    for (let i = 0; i < 100 && !buffer.includes('TCP-1'); i++) await sleep(20);
    const frames: string[] = [];
    let rest = Buffer.from(buffer, 'utf8');
    while (rest.length > 0) {
      const space = rest.indexOf(0x20);
      const length = Number(rest.subarray(0, space).toString());
      frames.push(rest.subarray(space + 1, space + 1 + length).toString('utf8'));
      rest = rest.subarray(space + 1 + length);
    }
    const events = frames.map(parseSyslog).map((p) => p.event);
    t.truthy(events.find((e) => e.eventTypeCode?.meaning === 'Application Start'));
    t.truthy(events.find((e) => e.query === 'PatientID=TCP-1'));
  } finally {
    await gw.close();
    server.close();
    await fake.close();
  }
});
