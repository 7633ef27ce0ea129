/**
 * What the rendering module asks the archive with QIDO-RS (instance-info.ts),
 * answered from the study metadata kept in the edge cache when the archive is
 * unavailable, so prefetched studies still render and show thumbnails offline.
 * The stored metadata is the archive's WADO-RS metadata (PS3.18 §10.4.1.1.2):
 * every attribute QIDO would return is in it.
 */
import type { EdgeCache } from '../../../edge/types.js';
import { TAG, isDicomJsonArray, numberOf, type DicomJsonObject } from './dicom-json.js';

const firstString = (obj: DicomJsonObject, tag: string): string | undefined => {
  const v = obj[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
};

export class EdgeDescriptions {
  constructor(private readonly edge: EdgeCache) {}

  private async studyItems(study: string): Promise<DicomJsonObject[] | undefined> {
    const json = await this.edge.getStudyMetadata(study);
    if (!json) return undefined;
    const items: unknown = JSON.parse(json.toString('utf8'));
    return isDicomJsonArray(items) ? (items as DicomJsonObject[]) : undefined;
  }

  /** The instance's attributes, or undefined when the edge does not hold the study's metadata. */
  async instance(study: string, series: string, instance: string): Promise<DicomJsonObject[] | undefined> {
    const items = await this.studyItems(study);
    return items?.filter((i) => firstString(i, TAG.SeriesInstanceUID) === series && firstString(i, TAG.SOPInstanceUID) === instance);
  }

  async seriesInstances(study: string, series: string): Promise<DicomJsonObject[] | undefined> {
    return (await this.studyItems(study))?.filter((i) => firstString(i, TAG.SeriesInstanceUID) === series);
  }

  /** One row per series, as a series-level QIDO answers (Modality, SeriesNumber, instance count). */
  async studySeries(study: string): Promise<DicomJsonObject[] | undefined> {
    const items = await this.studyItems(study);
    if (!items) return undefined;
    const bySeries = new Map<string, { row: DicomJsonObject; count: number }>();
    for (const item of items) {
      const uid = firstString(item, TAG.SeriesInstanceUID);
      if (!uid) continue;
      const entry = bySeries.get(uid) ?? { row: seriesRow(item, uid), count: 0 };
      entry.count++;
      bySeries.set(uid, entry);
    }
    return [...bySeries.values()].map(({ row, count }) => ({ ...row, [TAG.NumberOfSeriesRelatedInstances]: { vr: 'IS', Value: [count] } }));
  }
}

function seriesRow(item: DicomJsonObject, uid: string): DicomJsonObject {
  const row: DicomJsonObject = { [TAG.SeriesInstanceUID]: { vr: 'UI', Value: [uid] } };
  if (item[TAG.Modality]) row[TAG.Modality] = item[TAG.Modality]!;
  const number = numberOf(item, TAG.SeriesNumber);
  if (number !== undefined) row[TAG.SeriesNumber] = { vr: 'IS', Value: [number] };
  return row;
}
