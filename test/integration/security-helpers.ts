/**
 * Shared by the security integration tests: a local identity provider (JWKS and
 * discovery document on a loopback http.Server, keys from jose), signed tokens,
 * HTTP calls, and reading the audit log a gateway wrote.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { request } from 'undici';
import type { AuditEvent } from '../../src/security/audit/event.js';

export const AUDIENCE = 'dicomweb-gateway';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface Idp {
  issuer: string;
  jwksFetches: number;
  /** A signing key the IdP publishes (added to the JWKS). */
  addKey(kid: string): Promise<SigningKey>;
  /** A key the IdP does not publish. */
  strayKey(kid: string): Promise<SigningKey>;
  sign(claims: Record<string, unknown>, options?: { key?: SigningKey; issuer?: string; audience?: string; expiresIn?: string | number; subject?: string }): Promise<string>;
  close(): Promise<void>;
}

async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startIdp(): Promise<Idp> {
  const published: SigningKey[] = [];
  let issuer = '';
  const state = { jwksFetches: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      state.jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = await makeKey('key-1');
  published.push(first);
  return {
    issuer,
    get jwksFetches() {
      return state.jwksFetches;
    },
    async addKey(kid) {
      const key = await makeKey(kid);
      published.push(key);
      return key;
    },
    strayKey: makeKey,
    sign(claims, options = {}) {
      const key = options.key ?? first;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? AUDIENCE)
        .setSubject(options.subject ?? 'user-1')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function call(url: string, options: { method?: 'GET' | 'POST' | 'OPTIONS'; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  const res = await request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, body: options.body ?? null });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A fresh folder under the OS temp dir, removed when the test process exits. */
export function tempDir(prefix = 'sec-int-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function auditEvents(dir: string): AuditEvent[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => readFileSync(path.join(dir, n), 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as AuditEvent];
    } catch {
      return [];
    }
  }));
}

/** The last event matching `predicate` (streamed answers are audited beside the stream: poll a little). */
export async function lastAudit(dir: string, predicate: (e: AuditEvent) => boolean = () => true): Promise<AuditEvent | undefined> {
  for (let i = 0; i < 100; i++) {
    const found = auditEvents(dir).filter(predicate).at(-1);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** The last event of a request, found by the X-Request-Id the gateway answered with. */
export async function auditOf(dir: string, answer: Pick<Answer, 'headers'>): Promise<AuditEvent | undefined> {
  const id = answer.headers['x-request-id'];
  return lastAudit(dir, (e) => e.request?.id === id);
}
