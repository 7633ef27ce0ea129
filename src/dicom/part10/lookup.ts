/**
 * Reading decoded values from an index by keyword.
 */
import { tagOf } from '../dictionary.js';
import type { Part10Index } from './walker.js';

export function keywordValues(index: Part10Index, keyword: string): Array<string | number> | undefined {
  const tag = tagOf(keyword);
  const map = tag.startsWith('0002') ? index.meta : index.elements;
  return map.get(tag)?.values;
}

export function stringValue(index: Part10Index, keyword: string): string | undefined {
  const v = keywordValues(index, keyword)?.[0];
  return v === undefined ? undefined : String(v);
}

/** A number from a binary VR or an IS/DS string; undefined when absent or not a number. */
export function numberValue(index: Part10Index, keyword: string): number | undefined {
  const v = keywordValues(index, keyword)?.[0];
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}
