// `tsx scripts/orthanc/cli.ts` - start a throw-away Orthanc, print one JSON
// line {pid, baseUrl, dicomWebUrl, storageDir} and keep it running until
// SIGINT/SIGTERM. Options: --port N, --storage DIR, --keep.
import { parseArgs } from 'node:util';
import { orthancAvailable, startOrthanc, type OrthancOptions } from './harness.js';

function options(): OrthancOptions {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      storage: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const opts: OrthancOptions = { keepStorage: values.keep };
  if (values.port) opts.httpPort = Number(values.port);
  if (values.storage) opts.storageDir = values.storage;
  return opts;
}

async function main(): Promise<void> {
  const available = orthancAvailable();
  if (!available.ok) {
    process.stderr.write(`${available.reason}\n`);
    process.exitCode = 2;
    return;
  }
  const orthanc = await startOrthanc(options());
  const { pid, baseUrl, dicomWebUrl, storageDir } = orthanc;
  process.stdout.write(`${JSON.stringify({ pid, baseUrl, dicomWebUrl, storageDir })}\n`);
  const shutdown = () => {
    orthanc.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Keeps the event loop alive; signals end it through shutdown().
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
