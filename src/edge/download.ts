/**
 * One instance downloaded from the archive as stored (PS3.18 §8.7.3.5.2,
 * transfer-syntax=*) into a temp file of the edge, hashed on the way, then
 * checked: a Part 10 file (PS3.10 §7.1) whose File Meta names the instance
 * asked for. The transfer syntax and SOP class come from its File Meta.
 */
import { open } from 'node:fs/promises';
import { InstanceTooLargeError, downloadAsStored } from '../cache/instance-store.js';
import { fileSource, readMeta, Part10Error } from '../dicom/part10/index.js';
import type { UpstreamClient } from '../upstream/client.js';
import { EdgeBadInstanceError, EdgeInstanceTooLargeError } from './errors.js';
import { HashingStage, type EdgeFiles } from './files.js';
import type { InstanceUids } from './types.js';

export interface DownloadedInstance {
  temp: string;
  size: number;
  sha256: string;
  transferSyntax: string;
  sopClass: string;
}

function metaString(meta: Awaited<ReturnType<typeof readMeta>>, tag: string): string | undefined {
  const value = meta.elements.get(tag)?.values?.[0];
  return typeof value === 'string' ? value.replace(/\0+$/, '').trim() : undefined;
}

async function describeFile(upstreamName: string, temp: string, uids: InstanceUids): Promise<{ transferSyntax: string; sopClass: string }> {
  const handle = await open(temp, 'r');
  try {
    const meta = await readMeta(fileSource(handle, (await handle.stat()).size));
    const sopInstance = metaString(meta, '00020003');
    if (sopInstance !== undefined && sopInstance !== uids.instance) {
      throw new EdgeBadInstanceError(upstreamName, `sent instance ${sopInstance.slice(0, 64)} when ${uids.instance} was asked for.`);
    }
    return { transferSyntax: meta.transferSyntaxUid, sopClass: metaString(meta, '00020002') ?? '' };
  } catch (err) {
    if (err instanceof Part10Error) throw new EdgeBadInstanceError(upstreamName, `sent an instance that is not a DICOM Part 10 file (${err.message}).`);
    throw err;
  } finally {
    await handle.close();
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
    const described = await describeFile(upstream.name, temp, uids);
    return { temp, size, sha256: hashing.digest(), ...described };
  } catch (err) {
    await files.remove(temp);
    if (err instanceof InstanceTooLargeError) throw new EdgeInstanceTooLargeError(maxBytes);
    throw err;
  }
}
