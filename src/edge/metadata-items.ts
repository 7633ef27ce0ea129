/**
 * The instances a study's WADO-RS metadata lists (PS3.18 §10.4.1.1.2, DICOM
 * JSON per §F.2: one object per instance), and the items of one series or one
 * instance of it, for serving series- and instance-level metadata from the
 * study's.
 */
import { isSafeUidSegment } from '../dicom/uid.js';
import { EdgeMetadataError } from './errors.js';
import type { InstanceUids } from './types.js';

const SERIES_UID = '0020000E';
const SOP_INSTANCE_UID = '00080018';

type Item = Record<string, { Value?: unknown[] } | undefined>;

function firstString(item: Item, tag: string): string | undefined {
  const value = item[tag]?.Value?.[0];
  return typeof value === 'string' ? value : undefined;
}

export function parseStudyMetadata(json: Buffer): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new EdgeMetadataError('The study metadata is not valid JSON.');
  }
  if (!Array.isArray(parsed)) throw new EdgeMetadataError('The study metadata is not a DICOM JSON array (PS3.18 §F.2).');
  return parsed;
}

/** Series and instance UIDs of every item (items without both, or with unusable UIDs, are skipped). */
export function listedInstances(study: string, items: unknown[]): InstanceUids[] {
  const out: InstanceUids[] = [];
  for (const raw of items) {
    if (!raw || typeof raw !== 'object') continue;
    const series = firstString(raw as Item, SERIES_UID);
    const instance = firstString(raw as Item, SOP_INSTANCE_UID);
    if (series && instance && isSafeUidSegment(series) && isSafeUidSegment(instance)) out.push({ study, series, instance });
  }
  return out;
}

/** The items of one series, or of one instance of it. */
export function selectItems(items: unknown[], series?: string, instance?: string): unknown[] {
  if (!series) return items;
  return items.filter((raw) => {
    if (!raw || typeof raw !== 'object') return false;
    if (firstString(raw as Item, SERIES_UID) !== series) return false;
    return instance === undefined || firstString(raw as Item, SOP_INSTANCE_UID) === instance;
  });
}
