/**
 * Whether the edge's copy of a whole series or study is still what the archive
 * holds, asked before the edge answers a retrieve while the archive is
 * reachable: images reach a PACS by other routes than this gateway (a
 * modality's C-STORE, another gateway), and a series answered from disk must
 * not silently miss them.
 * One QIDO-RS search (PS3.18 §10.6) for the series or study with its Number of
 * Series/Study Related Instances (0020,1209 / 0020,1208): a count from the
 * archive's index. Listing the instances' UIDs instead cost Orthanc about
 * 115 ms per 200-instance series, more than relaying it (bench/README.md,
 * "Repeated series retrieves"); the list is asked only of an archive that
 * does not give the count. A count cannot tell an image replaced by another of
 * a new UID; that copy goes when the study changes through the gateway, or
 * when the edge evicts it.
 */
import type { UpstreamClient } from '../upstream/client.js';
import type { EdgeInstance } from './types.js';
import { isArchiveOutage } from './outage.js';

export type ArchiveAgreement = 'same' | 'changed' | 'unknown';

type JsonRow = Record<string, { Value?: unknown[] } | undefined>;
type Scope = { study: string; series?: string | undefined };

const SERIES_INSTANCES = '00201209';
const STUDY_INSTANCES = '00201208';

function countOf(row: JsonRow | undefined, tag: string): number | undefined {
  const value = Number(row?.[tag]?.Value?.[0]);
  return row?.[tag]?.Value?.length === 1 && Number.isInteger(value) ? value : undefined;
}

/** The archive's answer; 'unknown' when it cannot be asked (an outage), 'changed' on any other failure. Aborts are rethrown. */
async function ask<T>(signal: AbortSignal, question: () => Promise<T>): Promise<T | 'unknown' | 'changed'> {
  try {
    return await question();
  } catch (err) {
    if (signal.aborted) throw err;
    return isArchiveOutage(err) ? 'unknown' : 'changed';
  }
}

/** The SOP Instance UIDs the archive lists for the series or study (QIDO-RS, PS3.18 §10.6); its errors are thrown. */
export async function archiveInstanceUids(upstream: UpstreamClient, scope: Scope, signal: AbortSignal): Promise<string[]> {
  const path = scope.series ? `/studies/${scope.study}/series/${scope.series}/instances` : `/studies/${scope.study}/instances`;
  const rows = await upstream.getJson(path, 'includefield=00080018', signal);
  if (!Array.isArray(rows)) return [];
  return (rows as JsonRow[]).flatMap((row) => {
    const uid = row?.['00080018']?.Value?.[0];
    return typeof uid === 'string' ? [uid] : [];
  });
}

async function listedUids(upstream: UpstreamClient, scope: Scope, held: readonly EdgeInstance[], signal: AbortSignal): Promise<ArchiveAgreement> {
  const uids = await ask(signal, () => archiveInstanceUids(upstream, scope, signal));
  if (uids === 'unknown' || uids === 'changed') return uids;
  const listed = new Set(uids);
  return listed.size === held.length && held.every((i) => listed.has(i.instance)) ? 'same' : 'changed';
}

/**
 * 'same' when the archive counts (or lists) as many instances as the edge holds;
 * 'changed' when it holds more, fewer or none; 'unknown' when it cannot be asked
 * (down, failing, timing out: the edge is then what there is).
 */
export async function archiveAgreement(upstream: UpstreamClient, scope: Scope, held: readonly EdgeInstance[], signal: AbortSignal): Promise<ArchiveAgreement> {
  const [path, query, tag] = scope.series
    ? [`/studies/${scope.study}/series`, `SeriesInstanceUID=${scope.series}&includefield=${SERIES_INSTANCES}`, SERIES_INSTANCES]
    : ['/studies', `StudyInstanceUID=${scope.study}&includefield=${STUDY_INSTANCES}`, STUDY_INSTANCES];
  const rows = await ask(signal, async () => {
    const answer = await upstream.getJson(path, query, signal);
    return Array.isArray(answer) ? (answer as JsonRow[]) : [];
  });
  if (rows === 'unknown' || rows === 'changed') return rows;
  if (rows.length !== 1) return 'changed';
  const count = countOf(rows[0], tag);
  if (count === undefined) return listedUids(upstream, scope, held, signal);
  return count === held.length ? 'same' : 'changed';
}
