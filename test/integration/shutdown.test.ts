/**
 * Graceful shutdown of the real process (src/main.ts): on SIGTERM the listener
 * closes, an in-flight stream still finishes, then the process exits 0.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startFakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../../scripts/net/free-port.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));


async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await request(url);
      await res.body.dump();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`gateway did not start at ${url}`);
}

test('SIGTERM lets an in-flight stream finish, then exits 0', async (t) => {
  const fake = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=B' });
    res.write('--B\r\nContent-Type: application/dicom\r\n\r\n');
    let n = 0;
    const timer = setInterval(() => {
      res.write(Buffer.alloc(1024, 7));
      if (++n === 20) {
        clearInterval(timer);
        res.end('\r\n--B--\r\n');
      }
    }, 50);
  });
  const port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', MAIN], {
    env: { ...process.env, GATEWAY_PORT: String(port), GATEWAY_UPSTREAM_URL: fake.url, GATEWAY_LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  try {
    await waitReady(`http://127.0.0.1:${port}/healthz`);
    const res = await request(`http://127.0.0.1:${port}/dicom-web/studies/1.2.3`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    t.is(res.statusCode, 200);
    child.kill('SIGTERM');
    const body = Buffer.from(await res.body.arrayBuffer());
    t.true(body.toString('latin1').endsWith('--B--\r\n'), 'the stream completed');
    const [code] = (await once(child, 'exit')) as [number | null];
    t.is(code, 0);
    await t.throwsAsync(request(`http://127.0.0.1:${port}/healthz`), undefined, 'no longer listening');
  } finally {
    child.kill('SIGKILL');
    await fake.close();
  }
});
