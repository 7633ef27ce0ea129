/**
 * A slow client reading a close-delimited multipart answer (how Orthanc sends
 * every multi-instance retrieve: no length, Connection: close). The upstream
 * finishes long before the client does; the gateway must hold back with
 * backpressure, not crash and not buffer the whole answer.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startGateway } from '../support/gateway.js';
import { startFakeUpstream } from '../support/fake-upstream.js';

const PART = Buffer.alloc(1024 * 1024, 0x42);
const PARTS = 24;

test('a slow reader gets the whole close-delimited series; the gateway survives the early FIN', async (t) => {
  const fake = await startFakeUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=B', connection: 'close' });
    for (let i = 0; i < PARTS; i++) res.write(Buffer.concat([Buffer.from('\r\n--B\r\nContent-Type: application/dicom\r\n\r\n'), PART]));
    res.end('\r\n--B--\r\n');
  });
  const gw = await startGateway(fake.url);
  try {
    const res = await request(`${gw.url}/studies/1.2.3/series/4.5.6`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' }, highWaterMark: 64 * 1024 });
    t.is(res.statusCode, 200);
    let bytes = 0;
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      if (bytes < 4 * 1024 * 1024) await sleep(20); // slow at first: the upstream has long finished sending
    }
    t.true(bytes >= PARTS * PART.length, `got ${bytes} bytes`);
    const health = await request(`${gw.origin}/healthz`);
    await health.body.dump();
    t.is(health.statusCode, 200);
  } finally {
    await gw.close();
    await fake.close();
  }
});
