/**
 * The QIDO-RS searches behind the ImagingStudy façade, run through the
 * gateway's own QIDO path (parseQidoQuery → QidoService: same validation,
 * upstream planning, matching and metadata cache as /dicom-web/studies), and
 * through the security layer: cross-study answers are filtered per caller
 * (filterSearchAnswer), a single study is checked like every {study} route
 * (authorizeStudyParam: 404 when hidden or absent).
 */
import type { Context } from 'koa';
import type { CachedAnswer } from '../cache/metadata-cache.js';
import type { QueryLevel } from '../dicomweb/qido/levels.js';
import { parseQidoQuery } from '../dicomweb/qido/params.js';
import type { QidoService } from '../dicomweb/qido/service.js';
import { NotFoundError } from '../http/errors.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { authorizeStudyParam, filterSearchAnswer } from '../security/hooks.js';
import type { StudyRows } from './imaging-study.js';
import { qidoStudyQuery, type ImagingStudySearch } from './search-params.js';

type Row = Record<string, { Value?: unknown[] } | undefined>;

/** Series: BodyPartExamined, NumberOfSeriesRelatedInstances, SeriesDate/Time, TimezoneOffsetFromUTC. */
const SERIES_QUERY = 'includefield=00180015,00201209,00080021,00080031,00080201';
/** Instances of a study: their series, to group them (PS3.18 §10.6.3.3.3). */
const INSTANCE_QUERY = 'includefield=0020000E';
/** Series and instance searches of one page's studies at once. */
const STUDY_CONCURRENCY = 4;

function rowsOf(answer: CachedAnswer): Row[] {
  if (answer.status !== 200) return [];
  const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
  return Array.isArray(parsed) ? (parsed as Row[]) : [];
}

export class StudySource {
  constructor(private readonly qido: QidoService) {}

  private async search(rawQuery: string, level: QueryLevel, dicomwebRoot: string, studyUid?: string): Promise<CachedAnswer> {
    const query = parseQidoQuery(rawQuery, { level, ...(studyUid !== undefined && { studyUid }), ignoredParameters: [] });
    return (await this.qido.search(query, dicomwebRoot)).answer;
  }

  /** The studies of one search page the caller may see, plus whether more matched. */
  async searchStudies(ctx: Context, search: ImagingStudySearch, dicomwebRoot: string): Promise<{ studies: Row[]; more: boolean }> {
    const answer = await filterSearchAnswer(ctx, await this.search(qidoStudyQuery(search), 'study', dicomwebRoot));
    const rows = rowsOf(answer);
    return { studies: rows.slice(0, search.count), more: rows.length > search.count };
  }

  /** The study row of one ImagingStudy id (a validated Study Instance UID); 404 when hidden or absent. */
  async study(ctx: Context, studyUid: string, dicomwebRoot: string): Promise<Row> {
    await authorizeStudyParam(ctx, studyUid);
    const only = qidoStudyQuery({ started: {}, modalities: [], studyUids: [studyUid], count: 1, offset: 0 });
    const row = rowsOf(await this.search(only, 'study', dicomwebRoot))[0];
    if (!row) throw new NotFoundError(`No ImagingStudy ${studyUid}: the archive holds no such study that you may access.`, 'NOT_FOUND');
    return row;
  }

  /** Series and instances of studies the caller may see (already authorized or filtered). */
  async withContents(studies: readonly Row[], dicomwebRoot: string): Promise<StudyRows[]> {
    const out: StudyRows[] = new Array(studies.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < studies.length; i = next++) {
        const study = studies[i]!;
        const uid = study['0020000D']?.Value?.[0];
        if (typeof uid !== 'string' || !isSafeUidSegment(uid)) {
          out[i] = { study, series: [], instances: [] };
          continue;
        }
        const [series, instances] = await Promise.all([
          this.search(SERIES_QUERY, 'series', dicomwebRoot, uid),
          this.search(INSTANCE_QUERY, 'instance', dicomwebRoot, uid),
        ]);
        out[i] = { study, series: rowsOf(series), instances: rowsOf(instances) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(STUDY_CONCURRENCY, studies.length) }, worker));
    return out;
  }
}
