/**
 * One instance downloaded from the archive as stored (PS3.18 §8.7.3.5.2,
 * transfer-syntax=*) into a temp file of the edge, hashed on the way, then
 * checked: a Part 10 file (PS3.10 §7.1) whose File Meta names the instance
 * asked for. The transfer syntax and SOP class come from its File Meta.
 */
import { open } from 'node:fs/promises';
import { InstanceTooLargeError, downloadAsStored } from '../cache/instance-store.js';
import { bufferSource, fileSource, readMeta, Part10Error, type MetaInfo } from '../dicom/part10/index.js';
import type { UpstreamClient } from '../upstream/client.js';
import { EdgeBadInstanceError, EdgeInstanceTooLargeError } from './errors.js';
import { HashingStage, type EdgeFiles } from './files.js';
import type { InstanceUids } from './types.js';

export interface DownloadedInstance {
  temp: string;
  /** SOP Instance UID of its File Meta (0002,0003), when present. */
  sopInstance?: string;
  size: number;
  sha256: string;
  transferSyntax: string;
  sopClass: string;
}

function metaString(meta: MetaInfo, tag: string): string | undefined {
  const value = meta.elements.get(tag)?.values?.[0];
  return typeof value === 'string' ? value.replace(/\0+$/, '').trim() : undefined;
}

type Described = Pick<DownloadedInstance, 'transferSyntax' | 'sopClass' | 'sopInstance'>;

function describedBy(meta: MetaInfo): Described {
  return { transferSyntax: meta.transferSyntaxUid, sopClass: metaString(meta, '00020002') ?? '', sopInstance: metaString(meta, '00020003') };
}

async function metaOfFile(temp: string): Promise<MetaInfo> {
  const handle = await open(temp, 'r');
  try {
    return await readMeta(fileSource(handle, (await handle.stat()).size));
  } finally {
    await handle.close();
  }
}

/**
 * Transfer syntax, SOP class and SOP instance of a downloaded file, from its
 * File Meta (PS3.10 §7.1): read from `head` (its first bytes, kept while it was
 * written) unless the File Meta may run past them, else from the file.
 */
export async function describeDownload(upstreamName: string, temp: string, head: Buffer, size: number): Promise<Described> {
  try {
    if (head.length === size) return describedBy(await readMeta(bufferSource(head)));
    const fromHead = await readMeta(bufferSource(head)).catch(() => undefined);
    // The walk stops at the first element that is not group 0002; one ending near the head's end may have been cut.
    if (fromHead && fromHead.end + 8 <= head.length) return describedBy(fromHead);
    return describedBy(await metaOfFile(temp));
  } catch (err) {
    if (err instanceof Part10Error) throw new EdgeBadInstanceError(upstreamName, `sent an instance that is not a DICOM Part 10 file (${err.message}).`);
    throw err;
  }
}

/** Downloads into a new temp file; the caller places or removes it. */
export async function downloadInstance(upstream: UpstreamClient, files: EdgeFiles, uids: InstanceUids, signal: AbortSignal, maxBytes: number): Promise<DownloadedInstance> {
  const temp = files.tempPath();
  let hashing = new HashingStage();
  try {
    const size = await downloadAsStored(upstream, {
      uids,
      signal,
      maxBytes,
      sink: () => {
        hashing = new HashingStage(); // a fresh hash for each attempt
        return [hashing, files.tempWriter(temp)];
      },
    });
    const described = await describeDownload(upstream.name, temp, hashing.head(), size);
    if (described.sopInstance !== undefined && described.sopInstance !== uids.instance) {
      throw new EdgeBadInstanceError(upstream.name, `sent instance ${described.sopInstance.slice(0, 64)} when ${uids.instance} was asked for.`);
    }
    return { temp, size, sha256: hashing.digest(), ...described };
  } catch (err) {
    await files.remove(temp);
    if (err instanceof InstanceTooLargeError) throw new EdgeInstanceTooLargeError(maxBytes);
    throw err;
  }
}
