/**
 * FHIR R4 ImagingStudy interactions (FHIR R4 §3.1.0 RESTful API):
 * search-type `GET /fhir/ImagingStudy?...` → Bundle searchset, and read
 * `GET /fhir/ImagingStudy/{id}` → one ImagingStudy; both built live from
 * QIDO-RS (PS3.18 §10.6) through study-source.ts.
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../config/schema.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { negotiateSimple } from '../http/accept.js';
import { BadRequestError, NotAcceptableError, NotFoundError } from '../http/errors.js';
import { toImagingStudy } from './imaging-study.js';
import { FHIR_JSON, sendFhir } from './outcome.js';
import { matchesNothing, parseImagingStudySearch, type ImagingStudySearch } from './search-params.js';
import type { StudySource } from './study-source.js';
import { dicomwebRootOf, fhirBaseOf } from './urls.js';

const MEDIA_TYPES = [FHIR_JSON, 'application/json'] as const;

function checkAccept(ctx: Context): void {
  if (!negotiateSimple(ctx.get('accept') || '*/*', MEDIA_TYPES)) {
    throw new NotAcceptableError(`The FHIR façade answers in ${MEDIA_TYPES.join(' or ')}; the Accept header "${ctx.get('accept').slice(0, 80)}" allows neither.`, MEDIA_TYPES);
  }
}

function pageLink(base: string, rawQuery: string, offset: number): string {
  const kept = rawQuery.split('&').filter((p) => p !== '' && !/^_offset=/.test(p));
  return `${base}/ImagingStudy?${[...kept, `_offset=${offset}`].join('&')}`;
}

function links(base: string, rawQuery: string, search: ImagingStudySearch, more: boolean) {
  const out = [{ relation: 'self', url: `${base}/ImagingStudy${rawQuery ? `?${rawQuery}` : ''}` }];
  if (more) out.push({ relation: 'next', url: pageLink(base, rawQuery, search.offset + search.count) });
  if (search.offset > 0) out.push({ relation: 'previous', url: pageLink(base, rawQuery, Math.max(0, search.offset - search.count)) });
  return out;
}

export function createFhirHandlers(source: StudySource, config: GatewayConfig) {
  /** FHIR R4 §3.1.0.9 search, type level: ImagingStudy search parameters → QIDO-RS /studies (PS3.18 §10.6.1). */
  async function handleSearchImagingStudy(ctx: Context): Promise<void> {
    checkAccept(ctx);
    const search = parseImagingStudySearch(ctx.querystring, config.qido.ignoredParameters);
    const root = dicomwebRootOf(ctx, config);
    const base = fhirBaseOf(ctx, config);
    const { studies, more } = matchesNothing(search) ? { studies: [], more: false } : await source.searchStudies(ctx, search, root);
    const resources = (await source.withContents(studies, root)).map((rows) => toImagingStudy(rows, root)).filter((r) => r !== undefined);
    ctx.set('Cache-Control', 'private, no-cache');
    sendFhir(ctx, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      // The total is known only when this page holds the last match.
      ...(!more && { total: search.offset + resources.length }),
      link: links(base, ctx.querystring, search, more),
      entry: resources.map((resource) => ({ fullUrl: `${base}/ImagingStudy/${String(resource.id)}`, resource, search: { mode: 'match' } })),
    });
  }

  /** FHIR R4 §3.1.0.2 read: one ImagingStudy by id (= Study Instance UID) → QIDO-RS study, series, instances. */
  async function handleReadImagingStudy(ctx: Context): Promise<void> {
    checkAccept(ctx);
    const id = String(ctx.params.id ?? '');
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw new BadRequestError('FHIR_BAD_ID', `"${id.slice(0, 80)}" is not a FHIR id.`, { parameter: 'id' });
    // Ids are Study Instance UIDs (imaging-study.ts); any other valid FHIR id names no study here.
    if (!isSafeUidSegment(id)) throw new NotFoundError(`No ImagingStudy ${id}: ids on this server are Study Instance UIDs.`, 'NOT_FOUND');
    const root = dicomwebRootOf(ctx, config);
    const study = await source.study(ctx, id, root);
    const [rows] = await source.withContents([study], root);
    const resource = rows && toImagingStudy(rows, root);
    if (!resource) throw new NotFoundError(`No ImagingStudy ${id}.`, 'NOT_FOUND');
    ctx.set('Cache-Control', 'private, no-cache');
    sendFhir(ctx, 200, resource);
  }

  /** Any other FHIR resource or interaction: 404 OperationOutcome (this server offers ImagingStudy read/search only). */
  function handleUnsupportedFhir(ctx: Context): void {
    throw new NotFoundError(`${ctx.path} is not offered: this FHIR façade serves GET /fhir/ImagingStudy and GET /fhir/ImagingStudy/{id} only.`, 'FHIR_NOT_SUPPORTED');
  }

  return { handleSearchImagingStudy, handleReadImagingStudy, handleUnsupportedFhir };
}
