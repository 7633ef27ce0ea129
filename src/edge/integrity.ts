/**
 * Checksums before serving (edge.verify): 'always' re-hashes a file before each
 * serve, 'once' before its first serve in this process, unless this process
 * wrote it: its hash was then computed from the bytes written, and the crash
 * that an unsynced file (files.ts) would not survive cannot have come between
 * (a restart forgets what was written). A file that is gone or
 * whose SHA-256 differs from the one computed while it was written is dropped
 * (row and file), counted as corrupt and logged; the caller treats it as a miss.
 * Concurrent checks of one file share one read.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { EdgeFiles } from './files.js';
import type { EdgeFileRef, EdgeInstanceRow, EdgeRepository } from './repository.js';
import type { EdgeSpace } from './space.js';

export type VerifyPolicy = 'always' | 'once';

export class EdgeIntegrity {
  corrupt = 0;
  private readonly verified = new Set<string>();
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly policy: VerifyPolicy,
    private readonly repo: EdgeRepository,
    private readonly files: EdgeFiles,
    private readonly space: EdgeSpace,
    private readonly log: Logger,
  ) {}

  /** True when the file is intact; a damaged one is dropped from the index first. */
  async instanceIntact(row: EdgeInstanceRow): Promise<boolean> {
    return this.check(row, async (reason) => {
      const current = await this.repo.findInstance(row);
      if (current?.file !== row.file) return; // replaced meanwhile
      await this.repo.deleteInstance(row);
      this.space.count({ bytes: -row.size, instances: -1 });
      this.report(reason, { study: row.study, instance: row.instance, file: row.file });
    });
  }

  /** Checks a study's metadata file; a damaged one is dropped with the study's completeness. */
  async metadataIntact(study: string, ref: EdgeFileRef, body: Buffer | undefined): Promise<boolean> {
    if (this.policy === 'once' && this.verified.has(ref.file)) return body !== undefined;
    if (body && body.length === ref.size && createHash('sha256').update(body).digest('hex') === ref.sha256) {
      this.verified.add(ref.file);
      return true;
    }
    const dropped = await this.repo.dropMetadata(study);
    if (dropped) this.space.count({ bytes: -dropped.size });
    await this.files.remove(ref.file);
    this.report(body ? 'checksum mismatch' : 'file missing', { study, file: ref.file });
    return false;
  }

  /** This process has just written `file`, hashing the bytes it wrote: with 'once', its first serve needs no check. */
  wrote(file: string): void {
    if (this.policy === 'once') this.verified.add(file);
  }

  forget(file: string): void {
    this.verified.delete(file);
  }

  private check(row: EdgeFileRef, drop: (reason: string) => Promise<void>): Promise<boolean> {
    if (this.policy === 'once' && this.verified.has(row.file)) return Promise.resolve(true);
    let running = this.checking.get(row.file);
    if (!running) {
      running = this.hashAndCompare(row, drop).finally(() => this.checking.delete(row.file));
      this.checking.set(row.file, running);
    }
    return running;
  }

  private async hashAndCompare(row: EdgeFileRef, drop: (reason: string) => Promise<void>): Promise<boolean> {
    const got = await this.files.hash(row.file);
    if (got && got.sha256 === row.sha256 && got.size === row.size) {
      this.verified.add(row.file);
      return true;
    }
    await drop(got ? 'checksum mismatch' : 'file missing');
    await this.files.remove(row.file);
    return false;
  }

  private report(reason: string, fields: Record<string, string>): void {
    this.corrupt++;
    this.log.warn({ ...fields, reason }, 'edge cache file damaged; dropped (it will be fetched again while the archive is reachable)');
  }
}
