/**
 * Reads the audit log back for the admin route: newest events first, filtered
 * by time, user, event type, study, patient and outcome. Lines that cannot be
 * parsed (a line torn by a crash) are skipped.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditEvent } from './event.js';
import { listAuditFiles } from './file-sink.js';

export interface AuditFilter {
  since?: Date;
  until?: Date;
  user?: string;
  /** Event type name ("Query") or EventID code ("110112"). */
  type?: string;
  study?: string;
  patient?: string;
  /** Exact outcome (0, 4, 8, 12) or "failure" (anything but 0). */
  outcome?: number | 'failure';
  limit: number;
}

export function matches(event: AuditEvent, f: AuditFilter): boolean {
  const time = Date.parse(event.time);
  if (f.since && time < f.since.getTime()) return false;
  if (f.until && time > f.until.getTime()) return false;
  if (f.user !== undefined && event.user?.id !== f.user) return false;
  if (f.type !== undefined && event.eventType !== f.type && event.eventId?.code !== f.type) return false;
  if (f.study !== undefined && !event.studies?.includes(f.study)) return false;
  if (f.patient !== undefined && !event.patients?.some((p) => p.id === f.patient)) return false;
  if (f.outcome === 'failure' && event.outcome === 0) return false;
  if (typeof f.outcome === 'number' && event.outcome !== f.outcome) return false;
  return true;
}

/** The last `limit` matching events of one file, oldest first. */
async function lastMatches(file: string, filter: AuditFilter, limit: number): Promise<AuditEvent[]> {
  const ring: AuditEvent[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    if (!matches(event, filter)) continue;
    ring.push(event);
    if (ring.length > limit) ring.shift();
  }
  return ring;
}

export async function readAuditEvents(dir: string, filter: AuditFilter): Promise<{ events: AuditEvent[]; more: boolean }> {
  const sinceDay = filter.since?.toISOString().slice(0, 10);
  const untilDay = filter.until?.toISOString().slice(0, 10);
  const files = (await listAuditFiles(dir)).filter((f) => (!sinceDay || f.day >= sinceDay) && (!untilDay || f.day <= untilDay)).reverse();
  const events: AuditEvent[] = [];
  for (const file of files) {
    const wanted = filter.limit + 1 - events.length;
    const found = await lastMatches(path.join(dir, file.name), filter, wanted);
    events.push(...found.reverse());
    if (events.length > filter.limit) break;
  }
  return { events: events.slice(0, filter.limit), more: events.length > filter.limit };
}
