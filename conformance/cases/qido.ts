/**
 * The QIDO-RS (PS3.18 §10.6, Search Transaction) conformance cases, in id order.
 * Each table lives in its own file by topic; this module only assembles them.
 *
 * | file                 | cases                                                        |
 * |----------------------|--------------------------------------------------------------|
 * | qido-matching.ts     | attribute matching, wildcards, ranges, UID lists, fuzzy, encoding |
 * | qido-paging.ts       | limit/offset, Warning 299, 204 No Content                    |
 * | qido-payload.ts      | media type, required attributes, includefield, RetrieveURL   |
 * | qido-resources.ts    | the six search resources                                     |
 * | qido-errors.ts       | 400 / 406, ETag revalidation                                 |
 */
import type { ConformanceCase } from '../types.js';
import { errorCases } from './qido-errors.js';
import { matchingCases } from './qido-matching.js';
import { pagingCases } from './qido-paging.js';
import { payloadCases } from './qido-payload.js';
import { resourceCases } from './qido-resources.js';

export const qidoCases: readonly ConformanceCase[] = [...matchingCases, ...pagingCases, ...payloadCases, ...resourceCases, ...errorCases]
  .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

const ids = new Set<string>();
for (const c of qidoCases) {
  if (ids.has(c.id)) throw new Error(`duplicate conformance case id ${c.id}`);
  ids.add(c.id);
}
