/**
 * Forwarding of audit events as RFC 5424 syslog messages (the transport IHE
 * ATNA uses), over UDP (RFC 5426: one message per datagram) or TCP with
 * octet-counting framing (RFC 6587 §3.4.1). Best effort: the local file is the
 * record of truth; a collector that is down costs queued messages, never a
 * request. TLS transport (RFC 5425) is left to a local relay (rsyslog, say).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import type { Logger } from 'pino';
import type { AuditEvent } from './event.js';

export interface SyslogOptions {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  facility: number;
  appName: string;
}

/** Private enterprise number reserved for documentation (RFC 5612), for the structured data id. */
const SD_ID = 'audit@32473';
const MAX_QUEUE = 10_000;
const BOM = '\uFEFF';

function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** Success is Notice (5), any failure Warning (4) (RFC 5424 §6.2.1). */
export function formatRfc5424(event: AuditEvent, options: Pick<SyslogOptions, 'facility' | 'appName'>, hostname = os.hostname()): string {
  const severity = event.outcome === 0 ? 5 : 4;
  const host = hostname.replace(/[^!-~]/g, '').slice(0, 255) || '-';
  const msgId = event.eventType.replace(/[^A-Za-z]/g, '').slice(0, 32);
  const sd = `[${SD_ID} eventId="${event.eventId.code}" outcome="${event.outcome}" user="${sdValue(event.user.id)}"]`;
  return `<${options.facility * 8 + severity}>1 ${event.time} ${host} ${options.appName} ${process.pid} ${msgId} ${sd} ${BOM}${JSON.stringify(event)}`;
}

export class SyslogForwarder {
  private udp?: UdpSocket;
  private tcp?: Socket;
  private connected = false;
  private queue: string[] = [];
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  dropped = 0;

  constructor(private readonly options: SyslogOptions, private readonly log: Logger) {
    if (options.protocol === 'udp') {
      this.udp = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', (err) => this.log.warn({ err: err.message }, 'audit syslog (udp) error'));
      this.udp.unref();
    } else {
      this.connectTcp();
    }
  }

  send(event: AuditEvent): void {
    const message = formatRfc5424(event, this.options);
    if (this.udp) {
      this.udp.send(Buffer.from(message, 'utf8'), this.options.port, this.options.host);
      return;
    }
    const frame = `${Buffer.byteLength(message, 'utf8')} ${message}`;
    if (this.connected && this.tcp) this.tcp.write(frame);
    else if (this.queue.length < MAX_QUEUE) this.queue.push(frame);
    else this.dropped++;
  }

  private connectTcp(): void {
    if (this.closed) return;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.tcp = socket;
    socket.unref();
    socket.setKeepAlive(true);
    socket.once('connect', () => {
      this.connected = true;
      for (const frame of this.queue.splice(0)) socket.write(frame);
    });
    socket.on('error', (err) => this.log.warn({ err: err.message }, 'audit syslog (tcp) error'));
    socket.once('close', () => {
      this.connected = false;
      if (this.closed) return;
      this.retryTimer = setTimeout(() => this.connectTcp(), 1000);
      this.retryTimer.unref();
    });
  }

  /** Sends what is queued on a live connection, then closes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.udp) this.udp.close();
    const tcp = this.tcp;
    if (tcp && this.connected) await new Promise<void>((resolve) => tcp.end(resolve));
    else tcp?.destroy();
  }
}
