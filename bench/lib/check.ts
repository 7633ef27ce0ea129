// Before measuring: one request per target for the scenario's first URL. Both
// must answer 2xx; the sizes are printed side by side (multipart boundaries
// and rewritten URLs make them differ a little).
import { request } from 'undici';
import type { Target } from './rounds.js';

export interface CheckedAnswer {
  status: number;
  contentType: string;
  bytes: number;
  cache?: string;
}

export async function fetchOnce(target: Target, path: string, headers: Record<string, string>): Promise<CheckedAnswer> {
  const res = await request(`${target.origin}${target.basePath}${path}`, { headers, headersTimeout: 60_000, bodyTimeout: 60_000 });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  const cache = res.headers['x-gateway-cache'];
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), bytes, cache: typeof cache === 'string' ? cache : undefined };
}

/** Throws when either side does not answer 2xx. */
export async function checkBothAnswer(id: string, path: string, headers: Record<string, string>, direct: Target, gateway: Target): Promise<void> {
  const d = await fetchOnce(direct, path, headers);
  const g = await fetchOnce(gateway, path, headers);
  const line = (a: CheckedAnswer) => `${a.status} ${a.bytes} bytes ${a.contentType}${a.cache ? ` (${a.cache})` : ''}`;
  console.log(`check ${id}: direct ${line(d)}; gateway ${line(g)}`);
  if (d.status >= 300 || g.status >= 300) throw new Error(`check ${id} failed for ${path.slice(0, 160)}`);
}
