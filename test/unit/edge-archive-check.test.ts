/**
 * archiveAgreement (src/edge/archive-check.ts): whether the edge's whole series
 * or study is still the archive's, from the archive's instance count, against a
 * fake archive that answers each kind of search.
 */
import test from 'ava';
import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { archiveAgreement } from '../../src/edge/archive-check.js';
import type { EdgeInstance } from '../../src/edge/types.js';
import { closedPortUrl, startFakeUpstream } from '../support/fake-upstream.js';

const log = pino({ level: 'silent' });
const held = ['1.2.3.1', '1.2.3.2', '1.2.3.3'].map((instance) => ({ study: '1.2', series: '1.2.3', instance }) as EdgeInstance);
const json = (res: ServerResponse, rows: unknown) => void res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(JSON.stringify(rows));
const count = (tag: string, n: number | string) => [{ [tag]: { vr: 'IS', Value: [n] } }];
const uids = (list: string[]) => list.map((u) => ({ '00080018': { vr: 'UI', Value: [u] } }));

async function agreement(answer: (url: string, res: ServerResponse) => void, scope: { study: string; series?: string } = { study: '1.2', series: '1.2.3' }) {
  const fake = await startFakeUpstream((req, res) => answer(req.url ?? '', res));
  const upstream = new UpstreamClient(loadConfig({ env: {}, overrides: { upstream: { url: fake.url, retries: 0 } } }).upstream, log);
  try {
    return { result: await archiveAgreement(upstream, scope, held, new AbortController().signal), asked: fake.requests.map((r) => r.url) };
  } finally {
    await upstream.close();
    await fake.close();
  }
}

test('a series: the same count is "same", another count or no series is "changed"; one search, of the count', async (t) => {
  const same = await agreement((_url, res) => json(res, count('00201209', 3)));
  t.is(same.result, 'same');
  t.deepEqual(same.asked, ['/dicom-web/studies/1.2/series?SeriesInstanceUID=1.2.3&includefield=00201209']);
  t.is((await agreement((_url, res) => json(res, count('00201209', '4')))).result, 'changed', 'an IS value as text counts too');
  t.is((await agreement((_url, res) => json(res, count('00201209', 2)))).result, 'changed');
  t.is((await agreement((_url, res) => json(res, []))).result, 'changed', 'the archive no longer has the series');
  t.is((await agreement((_url, res) => void res.writeHead(404).end())).result, 'changed');
});

test('a study is counted by Number of Study Related Instances', async (t) => {
  const asked = await agreement((_url, res) => json(res, count('00201208', 3)), { study: '1.2' });
  t.is(asked.result, 'same');
  t.deepEqual(asked.asked, ['/dicom-web/studies?StudyInstanceUID=1.2&includefield=00201208']);
});

test('an archive that gives no count is asked for the instance UIDs, which must be exactly those held', async (t) => {
  const answer = (list: string[]) => (url: string, res: ServerResponse) => json(res, url.includes('/instances?') ? uids(list) : [{ '0020000E': { vr: 'UI', Value: ['1.2.3'] } }]);
  const same = await agreement(answer(['1.2.3.3', '1.2.3.1', '1.2.3.2']));
  t.is(same.result, 'same');
  t.is(same.asked[1], '/dicom-web/studies/1.2/series/1.2.3/instances?includefield=00080018');
  t.is((await agreement(answer(['1.2.3.1', '1.2.3.2', '1.2.3.9']))).result, 'changed', 'an image replaced by another');
});

test('an archive that cannot be asked, or fails to answer, gives "unknown" (the edge then answers, as in an outage)', async (t) => {
  t.is((await agreement((_url, res) => void res.writeHead(503).end())).result, 'unknown');
  t.is((await agreement((_url, res) => void res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('{not json'))).result, 'unknown', 'unreadable JSON is a 502: an archive failing');
  const upstream = new UpstreamClient(loadConfig({ env: {}, overrides: { upstream: { url: await closedPortUrl(), retries: 0 } } }).upstream, log);
  t.teardown(() => upstream.close());
  t.is(await archiveAgreement(upstream, { study: '1.2', series: '1.2.3' }, held, new AbortController().signal), 'unknown');
});

test('an abort is not an answer: it is rethrown', async (t) => {
  const controller = new AbortController();
  const fake = await startFakeUpstream(() => controller.abort());
  const upstream = new UpstreamClient(loadConfig({ env: {}, overrides: { upstream: { url: fake.url, retries: 0 } } }).upstream, log);
  t.teardown(async () => {
    await upstream.close();
    await fake.close();
  });
  const thrown = await t.throwsAsync(archiveAgreement(upstream, { study: '1.2', series: '1.2.3' }, held, controller.signal), { any: true });
  t.is((thrown as { name?: string }).name, 'AbortError');
});
