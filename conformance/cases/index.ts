/**
 * Every conformance case, in the order the runner runs them: QIDO-RS
 * (PS3.18 §10.6), WADO-RS (§10.4) and STOW-RS (§10.5). The STOW-RS cases come
 * last because they add studies to the target (with fresh UIDs outside the
 * fixtures), so they cannot disturb the search cases of the same run.
 */
import type { ConformanceCase } from '../types.js';
import { qidoCases } from './qido.js';
import { stowCases } from './stow.js';
import { stowRoundTripCases } from './stow-roundtrip.js';
import { wadoCases } from './wado.js';

const byId = (a: ConformanceCase, b: ConformanceCase) => a.id.localeCompare(b.id, 'en', { numeric: true });

export const allCases: readonly ConformanceCase[] = [...qidoCases, ...wadoCases, ...[...stowCases, ...stowRoundTripCases].sort(byId)];

const ids = new Set<string>();
for (const c of allCases) {
  if (ids.has(c.id)) throw new Error(`duplicate conformance case id ${c.id}`);
  ids.add(c.id);
}
