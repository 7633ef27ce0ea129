/**
 * The durable audit log: JSON lines appended to one file per UTC day, a new
 * file when one reaches `rotateBytes` (audit-YYYY-MM-DD.jsonl, then
 * audit-YYYY-MM-DD.1.jsonl …). Append-only (O_APPEND, mode 0600); never
 * truncated or deleted by the gateway (retention is the operator's policy).
 *
 * Group commit: events queued while a write+fdatasync runs go out together in
 * the next one, so with durability "fsync" every event is on disk before its
 * request is answered, at one fdatasync (~1 ms here) per batch rather than per
 * event. A line torn by a crash is closed with a newline on the next start and
 * skipped by the reader.
 */
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface FileSinkOptions {
  dir: string;
  durability: 'fsync' | 'write';
  rotateBytes: number;
}

interface Pending {
  line: Buffer;
  resolve(): void;
  reject(err: Error): void;
}

const FILE_PATTERN = /^audit-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;

export function auditFileName(day: string, index: number): string {
  return index === 0 ? `audit-${day}.jsonl` : `audit-${day}.${index}.jsonl`;
}

/** Audit files of the folder, oldest first: [{name, day, index}]. */
export async function listAuditFiles(dir: string): Promise<Array<{ name: string; day: string; index: number }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.flatMap((name) => {
    const m = FILE_PATTERN.exec(name);
    return m ? [{ name, day: m[1]!, index: Number(m[2] ?? 0) }] : [];
  });
  return files.sort((a, b) => (a.day === b.day ? a.index - b.index : a.day < b.day ? -1 : 1));
}

export class AuditFileSink {
  private queue: Pending[] = [];
  private running = false;
  private file?: { handle: FileHandle; day: string; size: number; needsNewline: boolean };
  private dirty = false;
  private readonly syncTimer?: NodeJS.Timeout;
  lastError?: Error;

  constructor(private readonly options: FileSinkOptions) {
    if (options.durability === 'write') {
      this.syncTimer = setInterval(() => void this.syncIfDirty(), 1000);
      this.syncTimer.unref();
    }
  }

  /** Resolves once the line is written (and, with durability fsync, synced); rejects when it cannot be. */
  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: Buffer.from(`${line}\n`, 'utf8'), resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writeBatch(Buffer.concat(batch.map((p) => p.line)));
        this.lastError = undefined;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.lastError = err as Error;
        await this.closeFile();
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.running = false;
  }

  private async writeBatch(bytes: Buffer): Promise<void> {
    const file = await this.currentFile(bytes.length);
    const out = file.needsNewline ? Buffer.concat([Buffer.from('\n'), bytes]) : bytes;
    let written = 0;
    while (written < out.length) {
      const { bytesWritten } = await file.handle.write(out, written);
      written += bytesWritten;
    }
    file.needsNewline = false;
    file.size += out.length;
    if (this.options.durability === 'fsync') await file.handle.datasync();
    else this.dirty = true;
  }

  private async currentFile(incoming: number) {
    const day = new Date().toISOString().slice(0, 10);
    if (this.file && (this.file.day !== day || this.file.size + incoming > this.options.rotateBytes)) await this.closeFile();
    this.file ??= await this.openFile(day, incoming);
    return this.file;
  }

  /** The day's last file if it has room, else the next index. */
  private async openFile(day: string, incoming: number) {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    const today = (await listAuditFiles(this.options.dir)).filter((f) => f.day === day);
    let index = today.at(-1)?.index ?? 0;
    for (;;) {
      const handle = await open(path.join(this.options.dir, auditFileName(day, index)), 'a+', 0o600);
      const { size } = await handle.stat();
      if (size > 0 && size + incoming > this.options.rotateBytes) {
        await handle.close();
        index++;
        continue;
      }
      return { handle, day, size, needsNewline: size > 0 && !(await endsWithNewline(handle, size)) };
    }
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || !this.file) return;
    this.dirty = false;
    await this.file.handle.datasync().catch((err: Error) => (this.lastError = err));
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.handle.datasync().catch(() => undefined);
    await file?.handle.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    while (this.running || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.closeFile();
  }
}

async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  const { bytesRead } = await handle.read(last, 0, 1, size - 1).catch(() => ({ bytesRead: 0 }));
  return bytesRead === 0 || last[0] === 0x0a;
}
