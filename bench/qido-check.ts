// Before measuring: gateway and Orthanc must give the same studies for a
// scenario's URL. RetrieveURL differs by design (the gateway rewrites it to
// itself); attributes the gateway adds empty (required return keys Orthanc
// omits) are listed but allowed. Anything else aborts the benchmark.
import { request } from 'undici';
import type { Target } from './lib/rounds.js';

type Dataset = Record<string, { vr?: string; Value?: unknown[] }>;

const STUDY_UID = '0020000D';
const RETRIEVE_URL = '00081190';

async function fetchDatasets(target: Target, path: string): Promise<Dataset[]> {
  const url = `${target.origin}${target.basePath}${path}`;
  const res = await request(url, { headers: { accept: 'application/dicom+json' }, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const text = await res.body.text();
  if (res.statusCode === 204) return [];
  if (res.statusCode !== 200) throw new Error(`${target.name} answered HTTP ${res.statusCode} for ${path}: ${text.slice(0, 300)}`);
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`${target.name} did not answer a JSON array for ${path}`);
  return parsed as Dataset[];
}

function uidOf(d: Dataset): string {
  const v = d[STUDY_UID]?.Value?.[0];
  return typeof v === 'string' ? v : '(none)';
}

const hasValue = (e: Dataset[string] | undefined) => Array.isArray(e?.Value) && e.Value.length > 0;

interface Comparison {
  problems: string[];
  /** Tags only the gateway has (empty, or with a value). */
  added: Set<string>;
}

/** Compares one study's attributes; RetrieveURL must point at the gateway. */
function compareStudy(uid: string, d: Dataset, g: Dataset, gateway: Target, out: Comparison): void {
  const gatewayRoot = `${gateway.origin}${gateway.basePath}/studies/${uid}`;
  if (g[RETRIEVE_URL]?.Value?.[0] !== gatewayRoot) out.problems.push(`${uid}: RetrieveURL ${JSON.stringify(g[RETRIEVE_URL]?.Value)} is not ${gatewayRoot}`);
  for (const tag of new Set([...Object.keys(d), ...Object.keys(g)])) {
    if (tag === RETRIEVE_URL) continue;
    const [de, ge] = [d[tag], g[tag]];
    if (!de) {
      out.added.add(hasValue(ge) ? `${tag} (with value)` : tag);
    } else if (!ge) {
      if (hasValue(de)) out.problems.push(`${uid}: gateway lacks ${tag}`);
    } else if (JSON.stringify(de.Value ?? []) !== JSON.stringify(ge.Value ?? [])) {
      out.problems.push(`${uid}: ${tag} is ${JSON.stringify(ge.Value)} via the gateway, ${JSON.stringify(de.Value)} direct`);
    }
  }
}

/** Prints one line; throws when the answers differ beyond the known rewrites. */
export async function checkSameStudies(id: string, path: string, expected: number, direct: Target, gateway: Target): Promise<void> {
  const [d, g] = [await fetchDatasets(direct, path), await fetchDatasets(gateway, path)];
  const dByUid = new Map(d.map((x) => [uidOf(x), x]));
  const gByUid = new Map(g.map((x) => [uidOf(x), x]));
  const out: Comparison = { problems: [], added: new Set() };
  const missing = [...dByUid.keys()].filter((u) => !gByUid.has(u));
  const extra = [...gByUid.keys()].filter((u) => !dByUid.has(u));
  if (missing.length || extra.length) out.problems.push(`StudyInstanceUIDs differ: ${missing.length} only direct, ${extra.length} only via gateway`);
  if (d.length !== dByUid.size || g.length !== gByUid.size) out.problems.push(`duplicate studies: direct ${d.length}/${dByUid.size}, gateway ${g.length}/${gByUid.size}`);
  if (d.length !== expected) out.problems.push(`direct answered ${d.length} studies, the population has ${expected} matches`);
  for (const [uid, dd] of dByUid) {
    const gd = gByUid.get(uid);
    if (gd) compareStudy(uid, dd, gd, gateway, out);
  }
  const added = out.added.size ? `; gateway adds ${[...out.added].sort().join(', ')}` : '';
  if (out.problems.length > 0) {
    throw new Error(`check ${id}: answers differ for ${path}:\n  ${out.problems.slice(0, 10).join('\n  ')}`);
  }
  console.log(`check ${id}: same ${dByUid.size} StudyInstanceUIDs (expected ${expected}) and values; RetrieveURL rewritten to the gateway${added}`);
}
