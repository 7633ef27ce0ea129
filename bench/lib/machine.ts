// The header every benchmark prints: what machine, what load, which Orthanc.
import os from 'node:os';
import { request } from 'undici';

export async function orthancVersion(baseUrl: string): Promise<string> {
  try {
    const res = await request(`${baseUrl}/system`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const system = (await res.body.json()) as { Version?: string };
    return system.Version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function printMachine(benchmark: string): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`${benchmark} benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${load}`);
}
