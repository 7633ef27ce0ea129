/**
 * The link-backed resolver and study screening over a real SQLite state
 * database (temp dir) and a stub archive: resolution, NO_LINK items and their
 * reuse, mismatch holds, and how decisions change the next screening.
 */
import { NoLinkQuota } from '../../src/identity/no-link-quota.js';
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { StateDatabase } from '../../src/state/database.js';
import { IDENTITY_MIGRATIONS } from '../../src/identity/migrations.js';
import { SqliteLinkRepository } from '../../src/identity/link-repository.js';
import { SqliteReconciliationRepository } from '../../src/identity/reconciliation-repository.js';
import { LinkedIdentityResolver } from '../../src/identity/linked-resolver.js';
import { ReconciliationActions } from '../../src/identity/reconciliation-actions.js';
import type { IdentityObserver } from '../../src/identity/metrics.js';
import type { StudyRow } from '../../src/identity/resolver.js';

const pn = (v: string) => ({ vr: 'PN', Value: [{ Alphabetic: v }] });
const lo = (v: string) => ({ vr: 'LO', Value: [v] });

function studyRow(uid: string, patientId: string, name: string, birthDate: string, sex: string, issuer?: string): StudyRow {
  return {
    '0020000D': { vr: 'UI', Value: [uid] }, '00100010': pn(name), '00100020': lo(patientId),
    '00100030': { vr: 'DA', Value: [birthDate] }, '00100040': { vr: 'CS', Value: [sex] },
    ...(issuer && { '00100021': lo(issuer) }),
  };
}

const silentObserver: IdentityObserver = { resolved: () => {}, itemOpened: () => {}, itemRefused: () => {}, held: () => {}, action: () => {}, changed: () => {} };

function setup(archive: StudyRow[], quota = { perHour: 0, caller: undefined as string | undefined }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-identity-unit-'));
  const state = new StateDatabase(dir, pino({ level: 'silent' }));
  state.migrate('identity', IDENTITY_MIGRATIONS);
  const links = new SqliteLinkRepository(state);
  const items = new SqliteReconciliationRepository(state);
  const queries: string[] = [];
  const upstream = {
    getJson: async (_path: string, query: string) => {
      queries.push(query);
      const [key, value] = query.split('&')[0]!.split('=') as [string, string];
      const tag = key === 'PatientID' ? '00100020' : '00100030';
      return archive.filter((r) => r[tag]?.Value?.[0] === value);
    },
  };
  const config = { ehrIssuers: ['EHR-A'], matchThreshold: 0.75, maxCandidates: 5, maxNoLinkItemsPerCallerPerHour: quota.perHour };
  const resolver = new LinkedIdentityResolver({
    links, items, search: { upstream, ehrIssuers: config.ehrIssuers, maxCandidates: 5 }, config, observer: silentObserver, logger: pino({ level: 'silent' }),
    quota: new NoLinkQuota(quota.perHour), caller: () => quota.caller,
  });
  const actions = new ReconciliationActions({ links, items, observer: silentObserver, rules: config });
  return { resolver, links, items, actions, queries, close: () => { state.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const JOHN = studyRow('1.1', 'P1', 'Smith^John', '19700101', 'M', 'HOSP');
const OTHER = studyRow('1.2', 'P1', 'Doe^Jane', '19850505', 'F', 'HOSP');
const EHR = { id: 'E1', issuer: 'EHR-A' };

test('an identity without an EHR issuer is the archive\'s own; screening passes it through', async (t) => {
  const s = setup([]);
  t.teardown(s.close);
  const resolution = await s.resolver.resolve({ id: 'P1', issuer: 'HOSP' });
  t.deepEqual(resolution, { asked: { id: 'P1', issuer: 'HOSP' }, ehr: false, pacs: [{ id: 'P1', issuer: 'HOSP' }] });
  t.deepEqual(await s.resolver.screenStudies(resolution, [OTHER]), { kept: [OTHER], held: 0 });
});

test('no link: one open NO_LINK item with scored candidates, reused by later queries; a link resolves', async (t) => {
  const s = setup([studyRow('2.1', 'E1', 'Smith^John', '19700101', 'M', 'HOSP'), studyRow('2.2', 'X9', 'SMITH^JOHN', '19700101', 'M')]);
  t.teardown(s.close);
  const first = await s.resolver.resolve(EHR, { demographics: { name: 'Smith^John', birthDate: '19700101' } });
  t.deepEqual(first.pacs, []);
  t.is(first.reconciliationStatus, 'open');
  const item = (await s.items.get(first.reconciliationId!))!;
  t.is(item.reason, 'NO_LINK');
  t.deepEqual(item.candidates.map((c) => [c.patientId, c.issuerOfPatientId, c.score, c.foundBy]), [['E1', 'HOSP', 1, ['patientId', 'demographics']], ['X9', '', 1, ['demographics']]]);
  const again = await s.resolver.resolve(EHR);
  t.is(again.reconciliationId, first.reconciliationId);
  await s.actions.link(item.id, { patientId: 'E1', issuerOfPatientId: 'HOSP' }, 'tester');
  const linked = await s.resolver.resolve(EHR);
  t.deepEqual(linked.pacs, [{ id: 'E1', issuer: 'HOSP' }]);
  const [link] = await s.links.forEhr('E1', 'EHR-A');
  t.deepEqual([link?.source, link?.createdBy, link?.demographics], ['reconciliation', 'tester', { name: 'Smith^John', birthDate: '19700101' }]);
});

test('a rejected NO_LINK item is not raised again for the same candidates', async (t) => {
  const s = setup([studyRow('3.1', 'E1', 'Smith^John', '19700101', 'M')]);
  t.teardown(s.close);
  const first = await s.resolver.resolve(EHR);
  await s.actions.reject(first.reconciliationId!, {}, 'tester');
  const again = await s.resolver.resolve(EHR);
  t.is(again.reconciliationId, first.reconciliationId);
  t.is(again.reconciliationStatus, 'rejected');
});

test('screening keeps agreeing studies with OtherPatientIDsSequence and holds a mismatch once', async (t) => {
  const s = setup([JOHN, OTHER]);
  t.teardown(s.close);
  await s.links.create({ ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1', issuerOfPatientId: 'HOSP', demographics: { name: 'Smith^John', birthDate: '19700101', sex: 'M' } }, { createdBy: 't', source: 'api' });
  const resolution = await s.resolver.resolve(EHR);
  const screened = await s.resolver.screenStudies(resolution, [JOHN, OTHER]);
  t.is(screened.kept.length, 1);
  t.deepEqual(screened.kept[0]!['00101002'], { vr: 'SQ', Value: [{ '00100020': lo('E1'), '00100021': lo('EHR-A'), '00100022': { vr: 'CS', Value: ['TEXT'] } }] });
  t.is(screened.held, 1);
  const item = (await s.items.get(screened.reconciliationIds![0]!))!;
  t.is(item.reason, 'DEMOGRAPHICS_MISMATCH');
  t.is(item.study?.studyInstanceUid, '1.2');
  t.is(item.score, 0);
  t.is(item.candidates[0]?.foundBy[0], 'study');
  const repeat = await s.resolver.screenStudies(resolution, [JOHN, OTHER]);
  t.deepEqual(repeat.reconciliationIds, screened.reconciliationIds, 'the same item, not a new one');
  t.is((await s.items.list({ limit: 10, offset: 0 })).total, 1);
});

test('decisions stick: resolve accepts the study, reject leaves it out without a new item', async (t) => {
  const s = setup([JOHN, OTHER]);
  t.teardown(s.close);
  await s.links.create({ ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1', issuerOfPatientId: 'HOSP', demographics: { name: 'Smith^John', birthDate: '19700101' } }, { createdBy: 't', source: 'api' });
  const resolution = await s.resolver.resolve(EHR);
  const held = await s.resolver.screenStudies(resolution, [OTHER]);
  await s.actions.resolve(held.reconciliationIds![0]!, { note: 'same patient, name changed' }, 'tester');
  const accepted = await s.resolver.screenStudies(resolution, [OTHER]);
  t.is(accepted.kept.length, 1);
  t.is(accepted.held, 0);
  const third = studyRow('1.3', 'P1', 'Doe^Jane', '19850505', 'F', 'HOSP');
  const heldThird = await s.resolver.screenStudies(resolution, [third]);
  await s.actions.reject(heldThird.reconciliationIds![0]!, { note: 'not him' }, 'tester');
  const rejected = await s.resolver.screenStudies(resolution, [third]);
  t.deepEqual([rejected.kept.length, rejected.held, rejected.excluded], [0, 0, 1]);
  t.is((await s.items.list({ status: 'open', limit: 10, offset: 0 })).total, 0);
  await t.throwsAsync(s.actions.resolve(heldThird.reconciliationIds![0]!, { note: 'again' }, 'tester'), { message: /already rejected/ });
});

test('a study whose patient is not a linked identity is held; a link without demographics keeps its studies', async (t) => {
  const s = setup([]);
  t.teardown(s.close);
  await s.links.create({ ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1', issuerOfPatientId: '' }, { createdBy: 't', source: 'api' });
  const resolution = await s.resolver.resolve(EHR);
  t.deepEqual(resolution.pacs, [{ id: 'P1' }]);
  const stranger = studyRow('9.9', 'P7', 'Smith^John', '19700101', 'M');
  const screened = await s.resolver.screenStudies(resolution, [OTHER, stranger]);
  t.is(screened.kept.length, 1, 'no EHR demographics: nothing contradicts the link');
  t.is(screened.held, 1);
});

test('a caller opens at most identity.maxNoLinkItemsPerCallerPerHour NO_LINK items; another caller and known items are not affected', async (t) => {
  const quota = { perHour: 2, caller: 'api-key:ward' as string | undefined };
  const s = setup([], quota);
  t.teardown(s.close);
  const asked = async (id: string) => s.resolver.resolve({ id, issuer: 'EHR-A' });
  t.truthy((await asked('E1')).reconciliationId);
  t.truthy((await asked('E2')).reconciliationId);
  const third = await asked('E3');
  t.is(third.reconciliationId, undefined);
  t.deepEqual(third.pacs, []);
  t.regex(third.notRecorded ?? '', /maxNoLinkItemsPerCallerPerHour \(2\)/);
  t.truthy((await asked('E1')).reconciliationId, 'the open item of an identity asked before is still named');
  quota.caller = 'api-key:other';
  t.truthy((await asked('E3')).reconciliationId, 'another caller has its own bound');
  quota.caller = undefined;
  t.truthy((await asked('E4')).reconciliationId, 'no caller (a background job): not bounded');
  t.is((await s.items.list({ limit: 100, offset: 0 })).total, 4);
});

test('NoLinkQuota forgets what was opened more than an hour ago', (t) => {
  let now = 0;
  const quota = new NoLinkQuota(1, () => now);
  t.true(quota.take('a'));
  t.false(quota.take('a'));
  now += 60 * 60 * 1000 + 1;
  t.true(quota.take('a'));
  t.true(new NoLinkQuota(0).take('a'), '0: no bound');
});
