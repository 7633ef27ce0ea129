/**
 * Which images a study or series resource is made of, in display order
 * (SeriesNumber, then InstanceNumber), and which single image represents a
 * resource as its thumbnail (PS3.18 §10.4.1.1.4: the origin server decides):
 * - instance: its middle frame (frame 1 for single-frame images);
 * - series: the middle image instance by InstanceNumber;
 * - study: the first series by SeriesNumber that holds images (reports,
 *   presentation states, key objects and documents are skipped).
 */
import { TAG, numberOf, stringOf, type DicomJsonObject } from './dicom-json.js';
import { frameOutOfRange, instanceNotFound, noThumbnail } from './errors.js';
import { framesOf, type InstanceInfo, type InstanceRef } from './instance-info.js';
import type { ImageTarget } from './render-service.js';
import { isImageModality, sopKind } from './sop-kinds.js';

export interface SeriesImage {
  ref: InstanceRef;
  frames: number;
}

const byNumber = (tag: string) => (a: DicomJsonObject, b: DicomJsonObject) =>
  (numberOf(a, tag) ?? Number.MAX_SAFE_INTEGER) - (numberOf(b, tag) ?? Number.MAX_SAFE_INTEGER);

export const middleFrame = (frames: number): number => Math.max(1, Math.ceil(frames / 2));

export class ImageSelection {
  constructor(private readonly info: InstanceInfo) {}

  /** Image instances of a series in InstanceNumber order; 404 when the series is unknown. */
  async seriesImages(study: string, series: string): Promise<SeriesImage[]> {
    const rows = await this.info.seriesInstances(study, series);
    if (rows.length === 0) throw instanceNotFound(`series ${series} in study ${study}`);
    return rows
      .filter((r) => sopKind(stringOf(r, TAG.SOPClassUID)) === 'image')
      .sort(byNumber(TAG.InstanceNumber))
      .flatMap((r) => {
        const instance = stringOf(r, TAG.SOPInstanceUID);
        return instance ? [{ ref: { study, series, instance }, frames: framesOf(r) }] : [];
      });
  }

  /** Series of a study that may hold images, in SeriesNumber order; 404 when the study is unknown. */
  async imageSeries(study: string): Promise<string[]> {
    const rows = await this.info.studySeries(study);
    if (rows.length === 0) throw instanceNotFound(`study ${study}`);
    return rows
      .filter((r) => isImageModality(stringOf(r, TAG.Modality)))
      .sort(byNumber(TAG.SeriesNumber))
      .flatMap((r) => stringOf(r, TAG.SeriesInstanceUID) ?? []);
  }

  async studyImages(study: string): Promise<SeriesImage[]> {
    const images: SeriesImage[] = [];
    for (const series of await this.imageSeries(study)) images.push(...(await this.seriesImages(study, series)));
    return images;
  }

  async thumbnailOfInstance(ref: InstanceRef, frame?: number): Promise<ImageTarget> {
    const desc = await this.info.describe(ref);
    if (!desc) throw instanceNotFound(`instance ${ref.instance} in series ${ref.series} of study ${ref.study}`);
    if (sopKind(stringOf(desc, TAG.SOPClassUID)) !== 'image') throw noThumbnail(`instance ${ref.instance}`);
    const frames = framesOf(desc);
    if (frame !== undefined && frame > frames) throw frameOutOfRange(frame, frames);
    return { ref, frame: frame ?? middleFrame(frames) };
  }

  async thumbnailOfSeries(study: string, series: string): Promise<ImageTarget> {
    const images = await this.seriesImages(study, series);
    const chosen = images[Math.floor((images.length - 1) / 2)];
    if (!chosen) throw noThumbnail(`series ${series}`);
    return { ref: chosen.ref, frame: middleFrame(chosen.frames) };
  }

  async thumbnailOfStudy(study: string): Promise<ImageTarget> {
    for (const series of await this.imageSeries(study)) {
      const images = await this.seriesImages(study, series);
      if (images.length > 0) return this.thumbnailOfSeries(study, series);
    }
    throw noThumbnail(`study ${study}`);
  }
}
