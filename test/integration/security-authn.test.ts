/**
 * Authentication and roles through the real upstream: OIDC bearer tokens from a
 * local identity provider (discovery + JWKS), API keys, and the audit event each
 * outcome writes (PS3.15 A.5: User Authentication for a refused credential,
 * Security Alert for a missing role, Query for a search).
 */
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { base64url } from 'jose';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import { AUDIENCE, auditOf, bearer, call, startIdp, tempDir, type Idp } from './security-helpers.js';

interface Context {
  gw: RunningGateway;
  audit: string;
}
const test = anyTest as TestFn<Context>;

const STUDIES: StudySpec[] = [{
  patientName: 'Auth^Alice', patientId: 'AUTH-1', birthDate: '19700101', sex: 'F', studyDate: '20230101', studyInstanceUid: '2.25.7001',
  series: [{ modality: 'CT', instances: 1, seriesInstanceUid: '2.25.7001.1' }],
}];
const fixture = useOrthanc(anyTest, STUDIES);
const READ_KEY = 'dgw_read-key-for-the-integration-tests-0001';
const ADMIN_KEY = 'dgw_admin-key-for-the-integration-tests-001';

let idp: Idp;
anyTest.before(async () => {
  idp = await startIdp();
});
anyTest.after.always(async () => {
  await idp?.close();
});

function securityConfig(audit: string, oidc: Record<string, unknown> = {}) {
  return {
    security: {
      oidc: { issuer: idp.issuer, audience: AUDIENCE, jwksCooldownMs: 0, ...oidc },
      apiKeys: [
        { id: 'viewer-key', hash: hashApiKey(READ_KEY), roles: ['read'] },
        { id: 'ops-key', hash: hashApiKey(ADMIN_KEY), roles: ['admin'] },
      ],
      audit: { dir: audit },
    },
  };
}

test.beforeEach(async (t) => {
  t.context.audit = tempDir();
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, securityConfig(t.context.audit));
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

test('a valid token searches; the Query event names the subject and the query, never the token', async (t) => {
  const token = await idp.sign({ scope: 'openid dicomweb.read', preferred_username: 'dr.alice', azp: 'ohif' });
  const res = await call(`${t.context.gw.url}/studies?PatientID=AUTH-1`, { headers: bearer(token) });
  t.is(res.status, 200);
  t.is(res.json<unknown[]>().length, 1);
  const event = await auditOf(t.context.audit, res);
  t.is(event?.eventType, 'Query');
  t.is(event?.eventId.code, '110112');
  t.is(event?.outcome, 0);
  t.is(event?.user.id, 'user-1');
  t.is(event?.user.name, 'dr.alice');
  t.is(event?.user.clientId, 'ohif');
  t.is(event?.query, 'PatientID=AUTH-1');
  t.is(event?.client?.address, '127.0.0.1');
  t.false(JSON.stringify(event).includes(token));
});

async function expect401(t: ExecutionContext<Context>, headers: Record<string, string>, code: string, path = '/studies') {
  const res = await call(`${t.context.gw.url}${path}`, { headers });
  t.is(res.status, 401, code);
  t.is(res.headers['content-type'], 'application/problem+json');
  t.is(res.json().code, code);
  const challenge = String(res.headers['www-authenticate']);
  t.regex(challenge, /Bearer realm="dicomweb-gateway"/);
  const event = await auditOf(t.context.audit, res);
  t.is(event?.eventType, 'User Authentication', code);
  t.is(event?.eventTypeCode?.code, '110122');
  t.is(event?.outcome, 4);
  t.regex(event?.outcomeDescription ?? '', new RegExp(code));
  return { res, event, challenge };
}

test('no credentials: 401 with a challenge, audited as a failed User Authentication', async (t) => {
  const { event, challenge } = await expect401(t, {}, 'CREDENTIALS_REQUIRED');
  t.false(challenge.includes('error='), 'RFC 6750 §3.1: no error code when no credentials were sent');
  t.is(event?.user.id, 'unauthenticated');
});

test('forged signature: 401 TOKEN_BAD_SIGNATURE; the claimed subject is recorded as unverified', async (t) => {
  const forger = await idp.strayKey('key-1'); // same kid as the real key, different key
  const token = await idp.sign({ scope: 'dicomweb.read' }, { key: forger, subject: 'mallory' });
  const { event, challenge } = await expect401(t, bearer(token), 'TOKEN_BAD_SIGNATURE');
  t.regex(challenge, /error="invalid_token"/);
  t.is(event?.user.id, 'unverified:mallory');
});

test('expired, wrong audience and wrong issuer tokens are 401 with distinct codes', async (t) => {
  await expect401(t, bearer(await idp.sign({ scope: 'read' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })), 'TOKEN_EXPIRED');
  await expect401(t, bearer(await idp.sign({ scope: 'read' }, { audience: 'some-other-api' })), 'TOKEN_WRONG_AUDIENCE');
  await expect401(t, bearer(await idp.sign({ scope: 'read' }, { issuer: 'https://evil.example' })), 'TOKEN_WRONG_ISSUER');
});

test('alg none and an HS256 token keyed with public material are refused', async (t) => {
  const part = (o: object) => base64url.encode(JSON.stringify(o));
  const claims = { iss: idp.issuer, aud: AUDIENCE, sub: 'mallory', scope: 'dicomweb.read', exp: Math.floor(Date.now() / 1000) + 300 };
  const none = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  const { res } = await expect401(t, bearer(none), 'TOKEN_ALG_NOT_ALLOWED');
  t.regex(res.json().detail as string, /algorithm/);
  const hs = `${part({ alg: 'HS256', kid: 'key-1' })}.${part(claims)}.${base64url.encode('x'.repeat(32))}`;
  await expect401(t, bearer(hs), 'TOKEN_ALG_NOT_ALLOWED');
});

test('unknown kid: the JWKS is fetched again; a key the issuer never published is refused, a newly published one accepted', async (t) => {
  const before = idp.jwksFetches;
  const stray = await idp.strayKey('never-published');
  await expect401(t, bearer(await idp.sign({ scope: 'read' }, { key: stray })), 'TOKEN_UNKNOWN_KEY');
  t.true(idp.jwksFetches > before, 'an unknown kid triggers a refresh');
  const rotated = await idp.addKey('key-2');
  const res = await call(`${t.context.gw.url}/studies`, { headers: bearer(await idp.sign({ scope: 'read' }, { key: rotated })) });
  t.is(res.status, 200, 'key rotation needs no restart');
});

test('missing scope: 403 INSUFFICIENT_SCOPE with an insufficient_scope challenge, audited as a Security Alert', async (t) => {
  const token = await idp.sign({ scope: 'openid profile' });
  const res = await call(`${t.context.gw.url}/studies/2.25.7001/metadata`, { headers: bearer(token) });
  t.is(res.status, 403);
  t.is(res.json().code, 'INSUFFICIENT_SCOPE');
  t.regex(res.json().detail as string, /"read" role is required/);
  t.regex(String(res.headers['www-authenticate']), /error="insufficient_scope", scope="read"/);
  const event = await auditOf(t.context.audit, res);
  t.is(event?.eventType, 'Security Alert');
  t.is(event?.eventTypeCode?.code, '110144');
  t.is(event?.outcome, 4);
  const stow = await call(`${t.context.gw.url}/studies`, { method: 'POST', headers: { ...bearer(await idp.sign({ scope: 'dicomweb.read' })), 'content-type': 'multipart/related; type="application/dicom"; boundary=x' }, body: '--x--' });
  t.is(stow.status, 403, 'read may not store');
  t.regex(stow.json().detail as string, /"write" role/);
});

test('?access_token= is refused unless configured, then accepted and kept out of the audit query text', async (t) => {
  const token = await idp.sign({ scope: 'dicomweb.read' });
  await expect401(t, {}, 'QUERY_TOKEN_NOT_ALLOWED', `/studies?access_token=${token}`);
  const audit = tempDir();
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { ...securityConfig(audit, { allowQueryToken: true }) });
  try {
    const res = await call(`${gw.url}/studies?PatientID=AUTH-1&access_token=${token}`);
    t.is(res.status, 200);
    t.is(res.json<unknown[]>().length, 1);
    const event = await auditOf(audit, res);
    t.is(event?.query, 'PatientID=AUTH-1');
    const metadata = await call(`${gw.url}/studies/2.25.7001/metadata?access_token=${token}`);
    t.is(metadata.status, 200, 'WADO-RS accepts the token in the URL too');
  } finally {
    await gw.close();
  }
});

test('API keys: header forms, a wrong key is 401, roles per key', async (t) => {
  const { url, origin } = t.context.gw;
  t.is((await call(`${url}/studies`, { headers: { 'x-api-key': READ_KEY } })).status, 200);
  const res = await call(`${url}/studies`, { headers: { authorization: `ApiKey ${READ_KEY}` } });
  t.is(res.status, 200);
  t.is((await auditOf(t.context.audit, res))?.user.id, 'viewer-key');
  t.is((await auditOf(t.context.audit, res))?.user.kind, 'apiKey');
  const wrong = await expect401(t, { 'x-api-key': `${READ_KEY}-guess` }, 'INVALID_API_KEY');
  t.regex(wrong.challenge, /ApiKey realm=/);
  t.is((await call(`${origin}/status`, { headers: { 'x-api-key': READ_KEY } })).status, 403);
  t.is((await call(`${origin}/status`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status, 200, 'a non-JWT bearer value is tried as an API key (Prometheus bearer_token)');
  t.is((await call(`${origin}/healthz`)).status, 200, 'probes need no credentials');
  t.is((await call(`${origin}/metrics`)).status, 401);
  t.is((await call(`${url}/studies`, { headers: { 'x-api-key': ADMIN_KEY } })).status, 403, 'admin does not imply read');
});

test('the admin audit route returns the events with filters, and its use is audited', async (t) => {
  const { url, origin } = t.context.gw;
  const token = await idp.sign({ scope: 'dicomweb.read' }, { subject: 'reader-7' });
  await call(`${url}/studies?PatientID=AUTH-1`, { headers: bearer(token) });
  await call(`${url}/studies/2.25.7001/metadata`, { headers: bearer(token) });
  await call(`${url}/studies`, { headers: bearer(`${token}x`) });
  const read = await call(`${origin}/admin/audit?user=reader-7&limit=10`, { headers: { 'x-api-key': ADMIN_KEY } });
  t.is(read.status, 200);
  const { events } = read.json<{ events: Array<{ eventType: string; studies?: string[] }> }>();
  t.deepEqual(events.map((e) => e.eventType), ['DICOM Instances Accessed', 'Query']);
  t.deepEqual(events[0]?.studies, ['2.25.7001']);
  const failures = await call(`${origin}/admin/audit?type=User%20Authentication&outcome=failure`, { headers: { 'x-api-key': ADMIN_KEY } });
  t.true(failures.json<{ events: unknown[] }>().events.length >= 1);
  t.is((await call(`${origin}/admin/audit?since=never`, { headers: { 'x-api-key': ADMIN_KEY } })).status, 400);
  const used = await auditOf(t.context.audit, read);
  t.is(used?.eventType, 'Audit Log Used');
  t.is(used?.user.id, 'ops-key');
  t.is((await call(`${origin}/admin/audit`, { headers: bearer(token) })).status, 403);
});
