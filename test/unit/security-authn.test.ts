/**
 * Claims to principals (src/security/claims.ts), API keys, and jose error
 * mapping (src/security/jwt.ts) without a network.
 */
import test from 'ava';
import { SignJWT, generateKeyPair, exportSPKI } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ApiKeyStore, generateApiKey, hashApiKey } from '../../src/security/api-keys.js';
import { claimAt, principalOfToken, rolesOf } from '../../src/security/claims.js';
import { JwtVerifier } from '../../src/security/jwt.js';

const oidc = (extra: Record<string, unknown> = {}) =>
  loadConfig({ env: {}, overrides: { security: { oidc: { issuer: 'https://idp.example/realms/h', audience: 'dicomweb', ...extra } } } }).security.oidc!;

test('roles come from scope, scp, roles and realm_access.roles through the role mapping', (t) => {
  const config = oidc();
  t.deepEqual([...rolesOf({ scope: 'openid dicomweb.read profile' }, config)], ['read']);
  t.deepEqual([...rolesOf({ scp: 'dicomweb.write' }, config)], ['write']);
  t.deepEqual([...rolesOf({ roles: ['dicomweb.admin', 'read'] }, config)].sort(), ['admin', 'read']);
  t.deepEqual([...rolesOf({ realm_access: { roles: ['write'] } }, config)], ['write']);
  t.deepEqual([...rolesOf({ scope: 'openid profile' }, config)], []);
  t.is(claimAt({ 'a.b': 1 }, 'a.b'), 1);
});

test('restriction claims: absent = unrestricted, present = only those, requireRestriction = nothing', (t) => {
  const config = oidc({ claims: { patientIds: 'patient_ids', studies: 'ext.studies' } });
  const base = { sub: 'u1', iss: 'https://idp.example/realms/h', scope: 'read' };
  t.is(principalOfToken(base, config).restriction, undefined);
  t.deepEqual(principalOfToken({ ...base, patient_ids: ['P1', 'P2*'] }, config).restriction, { patientIds: ['P1', 'P2*'] });
  t.deepEqual(principalOfToken({ ...base, patient_ids: 'ID WITH SPACE' }, config).restriction, { patientIds: ['ID WITH SPACE'] });
  t.deepEqual(principalOfToken({ ...base, ext: { studies: [] } }, config).restriction, { studies: [] });
  const strict = oidc({ requireRestriction: true, claims: { patientIds: 'patient_ids' } });
  t.deepEqual(principalOfToken(base, strict).restriction, { studies: [] });
  const p = principalOfToken({ ...base, preferred_username: 'dr.house', azp: 'ohif' }, config);
  t.is(p.id, 'u1');
  t.is(p.name, 'dr.house');
  t.is(p.clientId, 'ohif');
});

test('API keys: only the hash is configured; a wrong key is refused', (t) => {
  const key = generateApiKey();
  t.regex(key, /^dgw_[A-Za-z0-9_-]{43}$/);
  const store = new ApiKeyStore([{ id: 'ai', hash: hashApiKey(key), roles: ['read', 'write'], patientIds: ['P1'], stowPolicy: 'ai-results' }]);
  const p = store.authenticate(key);
  t.is(p?.id, 'ai');
  t.is(p?.kind, 'apiKey');
  t.deepEqual([...(p?.roles ?? [])], ['read', 'write']);
  t.deepEqual(p?.restriction, { patientIds: ['P1'] });
  t.is(p?.stowPolicy, 'ai-results');
  t.is(store.authenticate(`${key}x`), undefined);
  t.is(store.authenticate('short'), undefined);
});

test('a configured PEM key verifies tokens; jose failures map to stable 401 codes', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sec-unit-'));
  const keyFile = path.join(dir, 'idp.pem');
  writeFileSync(keyFile, await exportSPKI(publicKey));
  const verifier = new JwtVerifier(oidc({ publicKeyFile: keyFile }));
  const sign = (claims: Record<string, unknown>, key = privateKey, exp: string | number = '5m') =>
    new SignJWT({ scope: 'read', ...claims }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://idp.example/realms/h').setAudience('dicomweb').setSubject('u1').setIssuedAt().setExpirationTime(exp).sign(key);
  t.is((await verifier.verify(await sign({}))).sub, 'u1');
  const code = async (token: string) => ((await t.throwsAsync(verifier.verify(token))) as { code?: string }).code;
  t.is(await code(await sign({}, other.privateKey)), 'TOKEN_BAD_SIGNATURE');
  t.is(await code(await sign({}, privateKey, Math.floor(Date.now() / 1000) - 120)), 'TOKEN_EXPIRED');
  t.is(await code(await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://evil.example').setAudience('dicomweb').setSubject('u1').setExpirationTime('5m').sign(privateKey)), 'TOKEN_WRONG_ISSUER');
  t.is(await code(await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://idp.example/realms/h').setAudience('other').setSubject('u1').setExpirationTime('5m').sign(privateKey)), 'TOKEN_WRONG_AUDIENCE');
  t.is(await code('not.a.token'), 'TOKEN_MALFORMED');
  // Within the clock tolerance (30 s) an expired token still passes.
  t.is((await verifier.verify(await sign({}, privateKey, Math.floor(Date.now() / 1000) - 10))).sub, 'u1');
});
