/**
 * What the rendering module needs to know about instances and series, asked
 * of the upstream with QIDO-RS (PS3.18 §10.6) and kept in the shared metadata
 * cache (scoped by study, so STOW invalidation reaches it): SOP Class and
 * frame count to decide how to render, InstanceNumber / SeriesNumber to pick
 * representative images, and the attributes burned in by `annotation`.
 * Query values are UIDs and tags only: safe for Orthanc's undecoded query strings.
 */
import { makeAnswer, type MetadataCache } from '../../../cache/metadata-cache.js';
import { UpstreamFailureError } from '../../../http/errors.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { TAG, isDicomJsonArray, numberOf, type DicomJsonObject } from './dicom-json.js';
import type { EdgeDescriptions } from './edge-descriptions.js';
import { isArchiveOutage } from '../../../edge/outage.js';

export interface InstanceRef {
  study: string;
  series: string;
  instance: string;
}

const INSTANCE_FIELDS = [
  TAG.SOPClassUID, TAG.Modality, TAG.SeriesDescription, TAG.SeriesNumber, TAG.InstanceNumber, TAG.NumberOfFrames,
  TAG.Rows, TAG.Columns, TAG.WindowCenter, TAG.WindowWidth, TAG.SliceThickness, TAG.KVP, TAG.StudyDate,
  TAG.PatientName, TAG.PatientID, TAG.PatientBirthDate, TAG.PatientSex,
].join(',');
const SERIES_FIELDS = [TAG.Modality, TAG.SeriesNumber, TAG.NumberOfSeriesRelatedInstances].join(',');

export function instancePath(ref: InstanceRef): string {
  return `/studies/${ref.study}/series/${ref.series}/instances/${ref.instance}`;
}

export function framesOf(obj: DicomJsonObject): number {
  return Math.max(1, numberOf(obj, TAG.NumberOfFrames) ?? 1);
}

export class InstanceInfo {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly cache: MetadataCache,
    /** Answers from the edge cache's study metadata while the archive is unavailable. */
    private readonly edge?: EdgeDescriptions,
  ) {}

  /** The instance's QIDO attributes, or undefined when the upstream does not know it. */
  async describe(ref: InstanceRef): Promise<DicomJsonObject | undefined> {
    const rows = await this.orEdge(
      () => this.query(`rendered:instance:${instancePathKey(ref)}`, ref.study, `/studies/${ref.study}/series/${ref.series}/instances`, `SOPInstanceUID=${ref.instance}&includefield=${INSTANCE_FIELDS}`),
      (edge) => edge.instance(ref.study, ref.series, ref.instance),
    );
    return rows.find((r) => r[TAG.SOPInstanceUID]?.Value?.[0] === ref.instance) ?? rows[0];
  }

  async seriesInstances(study: string, series: string): Promise<DicomJsonObject[]> {
    return this.orEdge(
      () => this.query(`rendered:series-instances:${study}/${series}`, study, `/studies/${study}/series/${series}/instances`, `includefield=${TAG.InstanceNumber},${TAG.NumberOfFrames},${TAG.SOPClassUID}`),
      (edge) => edge.seriesInstances(study, series),
    );
  }

  async studySeries(study: string): Promise<DicomJsonObject[]> {
    return this.orEdge(() => this.query(`rendered:study-series:${study}`, study, `/studies/${study}/series`, `includefield=${SERIES_FIELDS}`), (edge) => edge.studySeries(study));
  }

  /** The archive's answer; when the archive is unavailable, the edge's (if it holds the study), else the outage error. */
  private async orEdge(archive: () => Promise<DicomJsonObject[]>, fromEdge: (edge: EdgeDescriptions) => Promise<DicomJsonObject[] | undefined>): Promise<DicomJsonObject[]> {
    try {
      return await archive();
    } catch (err) {
      if (!this.edge || !isArchiveOutage(err)) throw err;
      const rows = await fromEdge(this.edge);
      if (rows === undefined) throw err;
      return rows;
    }
  }

  private async query(key: string, study: string, path: string, query: string): Promise<DicomJsonObject[]> {
    // Not tied to one client's signal: concurrent requests share this load (and it is short).
    const { answer } = await this.cache.get(key, study, async () => {
      const rows = await this.upstream.getJson(path, query);
      if (!isDicomJsonArray(rows)) throw new UpstreamFailureError(this.upstream.name, 'answered a search with something that is not a DICOM JSON array.', 502, 'UPSTREAM_BAD_RESPONSE');
      return makeAnswer(200, Buffer.from(JSON.stringify(rows)));
    });
    return JSON.parse(answer.body.toString('utf8')) as DicomJsonObject[];
  }
}

function instancePathKey(ref: InstanceRef): string {
  return `${ref.study}/${ref.series}/${ref.instance}`;
}
