/**
 * Identity links REST API (JSON; admin role; every request audited as a
 * DICOM "Patient Record" event by the audit middleware, with the patients and
 * the action added here):
 * - GET    /api/identity/links?ehrId=&ehrIssuer=&patientId=&issuerOfPatientId=&limit=&offset=
 * - POST   /api/identity/links            201 + Location (200 when the same link exists)
 * - POST   /api/identity/links/import     text/csv or application/json array; all or nothing
 * - GET    /api/identity/links/{id}
 * - DELETE /api/identity/links/{id}       204
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError } from '../http/errors.js';
import { ImportRejectedError, InvalidFieldsError, UnsupportedBodyTypeError } from './errors.js';
import { auditFacts, bodyType, methodNotAllowed, paging, parseJson, principalId, queryParams, readBody, readJson } from './http.js';
import { parseCsvImport, parseJsonImport } from './import.js';
import type { LinkRepository } from './link-repository.js';
import type { IdentityObserver } from './metrics.js';
import type { Link, LinkInput } from './types.js';
import { parseLinkInput, type ValidationRules } from './validation.js';

export interface LinkApiDeps {
  links: LinkRepository;
  observer: IdentityObserver;
  rules: ValidationRules;
  maxBodyBytes: number;
}

export const LINKS_PATH = '/api/identity/links';
const LIST_PARAMETERS = ['ehrId', 'ehrIssuer', 'patientId', 'issuerOfPatientId', 'limit', 'offset'];

function auditLinks(ctx: Context, action: string, links: ReadonlyArray<Link | LinkInput>): void {
  const facts = auditFacts(ctx);
  if (!facts) return;
  facts.detail.action = action;
  facts.addPatients(links.flatMap((l) => ('ehr' in l
    ? [{ id: l.ehr.id, issuer: l.ehr.issuer }, { id: l.pacs.patientId, ...(l.pacs.issuer && { issuer: l.pacs.issuer }) }]
    : [{ id: l.ehrId, issuer: l.ehrIssuer }, { id: l.patientId, ...(l.issuerOfPatientId && { issuer: l.issuerOfPatientId }) }])));
}

async function linkOr404(links: LinkRepository, id: string): Promise<Link> {
  const link = await links.get(id);
  if (!link) throw new NotFoundError(`No identity link ${id.slice(0, 64)}.`, 'IDENTITY_LINK_NOT_FOUND');
  return link;
}

export function createLinkHandlers(deps: LinkApiDeps) {
  const { links, observer, rules } = deps;
  return {
    async handleListLinks(ctx: Context): Promise<void> {
      const params = queryParams(ctx, LIST_PARAMETERS);
      const page = paging(params);
      const { links: found, total } = await links.list({ ...Object.fromEntries([...params].filter(([k]) => k !== 'limit' && k !== 'offset')), ...page });
      auditLinks(ctx, 'link.list', found);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { links: found, total, ...page };
    },

    async handleCreateLink(ctx: Context): Promise<void> {
      const checked = parseLinkInput(await readJson(ctx, deps.maxBodyBytes), rules);
      if (!checked.input) throw new InvalidFieldsError('IDENTITY_LINK_INVALID', 'The link is not valid', checked.errors);
      const { link, created } = await links.create(checked.input, { createdBy: principalId(ctx), source: 'api' });
      auditLinks(ctx, created ? 'link.create' : 'link.create.existing', [link]);
      Object.assign(auditFacts(ctx)?.detail ?? {}, { link: link.id });
      observer.changed();
      ctx.status = created ? 201 : 200;
      ctx.set('Location', `${LINKS_PATH}/${link.id}`);
      ctx.body = link;
    },

    async handleImportLinks(ctx: Context): Promise<void> {
      const type = bodyType(ctx);
      if (type !== 'text/csv' && type !== 'application/json') throw new UnsupportedBodyTypeError(ctx.get('content-type'), ['text/csv', 'application/json']);
      const text = (await readBody(ctx, deps.maxBodyBytes)).toString('utf8');
      const parsed = type === 'text/csv' ? parseCsvImport(text, rules) : parseJsonImport(parseJson(text), rules);
      if (!parsed.inputs) throw new ImportRejectedError(parsed.errors, parsed.errorCount);
      const counts = await links.importAll(parsed.inputs, { createdBy: principalId(ctx), source: 'import' });
      auditLinks(ctx, 'link.import', parsed.inputs);
      Object.assign(auditFacts(ctx)?.detail ?? {}, counts);
      observer.changed();
      ctx.body = counts;
    },

    async handleGetLink(ctx: Context): Promise<void> {
      const link = await linkOr404(links, ctx.params.id!);
      auditLinks(ctx, 'link.read', [link]);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = link;
    },

    async handleDeleteLink(ctx: Context): Promise<void> {
      const link = await links.delete(ctx.params.id!);
      if (!link) throw new NotFoundError(`No identity link ${ctx.params.id!.slice(0, 64)}.`, 'IDENTITY_LINK_NOT_FOUND');
      auditLinks(ctx, 'link.delete', [link]);
      Object.assign(auditFacts(ctx)?.detail ?? {}, { link: link.id });
      observer.changed();
      ctx.status = 204;
    },
  };
}

export function registerLinkRoutes(router: Router, deps: LinkApiDeps): void {
  const h = createLinkHandlers(deps);
  router.get(LINKS_PATH, h.handleListLinks);
  router.post(LINKS_PATH, h.handleCreateLink);
  router.post(`${LINKS_PATH}/import`, h.handleImportLinks);
  router.get(`${LINKS_PATH}/:id`, h.handleGetLink);
  router.delete(`${LINKS_PATH}/:id`, h.handleDeleteLink);
  router.all(LINKS_PATH, methodNotAllowed(['GET', 'POST']));
  router.all(`${LINKS_PATH}/import`, methodNotAllowed(['POST']));
  router.all(`${LINKS_PATH}/:id`, methodNotAllowed(['GET', 'DELETE']));
}
