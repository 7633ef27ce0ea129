/**
 * The audit trail: every event goes to the durable file (awaited) and, when
 * configured, to syslog (best effort). Knows whether it is healthy, so that
 * fail-closed mode can refuse requests while events cannot be written, and
 * re-probes at most once a second, recording "Audit Recording Started" when
 * writing works again.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AuditConfig } from '../config.js';
import { EVENT_IDS, EVENT_TYPE_CODES, type AuditEvent, type CodedValue, type EventOutcome } from './event.js';
import { AuditFileSink } from './file-sink.js';
import { SyslogForwarder } from './syslog.js';

export function auditDir(config: AuditConfig): string {
  return config.dir ?? path.join(os.tmpdir(), 'dicomweb-gateway-audit');
}

const PROBE_INTERVAL_MS = 1000;

export class AuditTrail {
  readonly dir: string;
  private readonly file?: AuditFileSink;
  private readonly syslog?: SyslogForwarder;
  private failedAt?: number;
  private probing?: Promise<void>;
  readonly source = { id: 'dicomweb-gateway', host: os.hostname(), pid: process.pid };
  written = 0;
  failures = 0;

  constructor(readonly config: AuditConfig, private readonly log: Logger) {
    this.dir = auditDir(config);
    if (!config.enabled) return;
    this.file = new AuditFileSink({ dir: this.dir, durability: config.durability, rotateBytes: config.rotateBytes });
    if (config.syslog) this.syslog = new SyslogForwarder(config.syslog, log);
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  get healthy(): boolean {
    return this.failedAt === undefined;
  }

  /** Writes one event; rejects when the file cannot be written (the caller decides: fail closed or log). */
  async record(event: AuditEvent): Promise<void> {
    if (!this.file) return;
    this.syslog?.send(event);
    try {
      await this.file.append(JSON.stringify(event));
      this.written++;
      this.failedAt = undefined;
    } catch (err) {
      this.failures++;
      if (this.failedAt === undefined) this.log.error({ err: (err as Error).message, dir: this.dir }, 'AUDIT TRAIL CANNOT BE WRITTEN');
      this.failedAt = Date.now();
      throw err;
    }
  }

  /** After a failure, tries writing again (at most once a second, shared by concurrent callers). */
  async recover(): Promise<boolean> {
    if (this.healthy) return true;
    if (Date.now() - (this.failedAt ?? 0) < PROBE_INTERVAL_MS) return false;
    this.probing ??= this.record(this.systemEvent('Security Alert', { code: '110134', system: 'DCM', meaning: 'Audit Recording Started' }, 0, 'audit trail writable again'))
      .catch(() => undefined)
      .finally(() => (this.probing = undefined));
    await this.probing;
    return this.healthy;
  }

  systemEvent(type: 'Application Activity' | 'Security Alert', typeCode: CodedValue, outcome: EventOutcome, description?: string): AuditEvent {
    return {
      time: new Date().toISOString(),
      eventType: type,
      eventId: EVENT_IDS[type],
      eventTypeCode: typeCode,
      action: 'E',
      outcome,
      ...(description && { outcomeDescription: description }),
      user: { id: 'dicomweb-gateway', kind: 'anonymous' },
      source: this.source,
    };
  }

  /** Application Start (PS3.15 A.5.3.1), plus a Security Alert when the configuration weakens security. */
  async recordStart(warnings: readonly string[]): Promise<void> {
    const events = [this.systemEvent('Application Activity', EVENT_TYPE_CODES.applicationStart, 0)];
    for (const warning of warnings) events.push(this.systemEvent('Security Alert', EVENT_TYPE_CODES.securityConfiguration, 4, warning));
    for (const event of events) await this.record(event).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (!this.file) return;
    await this.record(this.systemEvent('Application Activity', EVENT_TYPE_CODES.applicationStop, 0)).catch(() => undefined);
    await this.file.close();
    await this.syslog?.close();
  }
}
