/**
 * TLS: the HTTPS listener (certificate reloaded by reload() — what SIGHUP
 * calls — and when the files change) and mutual TLS to an https:// upstream
 * with a custom CA. Certificates are made with the openssl CLI.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { createGateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createListener } from '../../src/security/tls.js';
import { startGateway } from '../support/gateway.js';
import { call, tempDir } from './security-helpers.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA and certificates it signs: `name`.pem / `name`.key, for 127.0.0.1. */
function makePki(): { dir: string; issue(name: string, cn: string): void } {
  const dir = tempDir('sec-pki-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  return {
    dir,
    issue(name, cn) {
      openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'san.ext']);
    },
  };
}

function peerCommonName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(String(cn));
    });
    socket.on('error', reject);
  });
}

const maybe = hasOpenssl ? test : test.skip;
if (!hasOpenssl) test('openssl not found; TLS tests skipped', (t) => t.pass());

maybe('HTTPS listener: serves with HSTS, reloads the certificate on reload() and on file change, keeps it when the new files are bad', async (t) => {
  const pki = makePki();
  pki.issue('one', 'gateway-1');
  pki.issue('two', 'gateway-2');
  const cert = path.join(pki.dir, 'server.pem');
  const key = path.join(pki.dir, 'server.key');
  const use = (name: string) => {
    copyFileSync(path.join(pki.dir, `${name}.key`), key);
    copyFileSync(path.join(pki.dir, `${name}.pem`), cert);
  };
  use('one');
  const config = loadConfig({ env: {}, overrides: { server: { port: 0 }, log: { level: 'silent' }, security: { tls: { certFile: cert, keyFile: key }, audit: { dir: tempDir() } }, state: { dir: tempDir() } } });
  const gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
  const listener = createListener(config.security, gateway.app.callback(), gateway.logger);
  await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
  const { port } = listener.server.address() as AddressInfo;
  const ca = readFileSync(path.join(pki.dir, 'ca.pem'));
  const agent = new Agent({ connect: { ca } });
  try {
    t.is(listener.protocol, 'https');
    const res = await request(`https://127.0.0.1:${port}/dicom-web/studies/1.2/metadata?x=1`, { dispatcher: agent });
    await res.body.dump();
    t.regex(String(res.headers['strict-transport-security']), /max-age=\d+/);
    t.is(await peerCommonName(port, ca), 'gateway-1');
    use('two');
    t.true(listener.reload());
    t.is(await peerCommonName(port, ca), 'gateway-2', 'new connections get the new certificate');
    writeFileSync(cert, 'not a certificate');
    t.false(listener.reload());
    t.is(await peerCommonName(port, ca), 'gateway-2', 'a broken file keeps the previous certificate');
    use('one');
    let cn = '';
    for (let i = 0; i < 100 && cn !== 'gateway-1'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      cn = await peerCommonName(port, ca);
    }
    t.is(cn, 'gateway-1', 'a changed file is picked up without a signal');
  } finally {
    listener.close();
    listener.server.closeAllConnections();
    await new Promise<void>((resolve) => listener.server.close(() => resolve()));
    await gateway.close();
    await agent.close();
  }
});

maybe('TLS to the upstream: custom CA and a client certificate for mutual TLS; without them the PACS is unreachable (502)', async (t) => {
  const pki = makePki();
  pki.issue('pacs', 'pacs');
  pki.issue('client', 'gateway-client');
  const file = (name: string) => path.join(pki.dir, name);
  t.true(existsSync(file('client.pem')));
  const seen: string[] = [];
  const pacs = createHttpsServer({ key: readFileSync(file('pacs.key')), cert: readFileSync(file('pacs.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    seen.push(`${req.url} ${(req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN}`);
    res.setHeader('content-type', 'application/dicom+json');
    res.end('[]');
  });
  await new Promise<void>((resolve) => pacs.listen(0, '127.0.0.1', resolve));
  const upstream = `https://127.0.0.1:${(pacs.address() as AddressInfo).port}/dicom-web`;
  const quick = { retries: 0, breakerThreshold: 100 };
  try {
    const mtls = await startGateway(upstream, { upstream: quick, security: { audit: { dir: tempDir() }, upstreamTls: { caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key') } } });
    try {
      t.is((await call(`${mtls.url}/studies?PatientID=TLS`)).status, 204);
      t.is(seen.length, 1);
      t.regex(seen[0] ?? '', /^\/dicom-web\/studies\?00100020=TLS&.* gateway-client$/, 'the PACS saw the gateway\'s client certificate');
    } finally {
      await mtls.close();
    }
    for (const upstreamTls of [{ caFile: file('ca.pem') }, null]) {
      const gw = await startGateway(upstream, { upstream: quick, security: { audit: { dir: tempDir() }, upstreamTls } });
      try {
        const res = await call(`${gw.url}/studies?PatientID=TLS`);
        t.is(res.status, 502, JSON.stringify(upstreamTls));
        t.is(res.json().code, 'UPSTREAM_UNREACHABLE');
      } finally {
        await gw.close();
      }
    }
  } finally {
    pacs.closeAllConnections();
    await new Promise<void>((resolve) => pacs.close(() => resolve()));
  }
});
