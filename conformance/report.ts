/**
 * Text output of the suite: one line per case, a summary, and the side-by-side
 * table the CI prints for two targets.
 */
import type { CaseResult } from './types.js';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** "PS3.18 §8.3.4.1, PS3.4 C.2.2.2.4" → "§8.3.4.1, PS3.4 C.2.2.2.4" (PS3.18 is implied). */
export function shortSection(section: string): string {
  return section.replace(/^PS3\.18 /, '');
}

export function formatLine(r: CaseResult): string {
  const head = `${LABEL[r.outcome]} ${r.id} ${shortSection(r.section)} ${r.title}`;
  const pending = r.pending ? ' [pending, not gating]' : '';
  const detail = r.message ? `\n       ${r.outcome === 'skip' ? 'skipped' : '->'} ${r.message}` : '';
  return `${head}${pending}${detail}`;
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  /** Failures of cases that are not pending: these decide the exit status. */
  gatingFailures: number;
  pendingPassed: string[];
}

export function summarize(results: readonly CaseResult[]): Summary {
  return {
    passed: results.filter((r) => r.outcome === 'pass').length,
    failed: results.filter((r) => r.outcome === 'fail').length,
    skipped: results.filter((r) => r.outcome === 'skip').length,
    gatingFailures: results.filter((r) => r.outcome === 'fail' && !r.pending).length,
    pendingPassed: results.filter((r) => r.outcome === 'pass' && r.pending).map((r) => r.id),
  };
}

export function formatSummary(label: string, results: readonly CaseResult[], pendingHint = true): string {
  const s = summarize(results);
  const pending = results.filter((r) => r.pending).length;
  const cases = results.length === 1 ? '1 case' : `${results.length} cases`;
  let line = `${label}: ${cases}, ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
  if (pending > 0) line += ` (${pending} pending, ${s.failed - s.gatingFailures} of them failed)`;
  if (pendingHint && s.pendingPassed.length > 0) line += `\n  pending case(s) passing here: ${s.pendingPassed.join(', ')} (once they pass on the gateway, drop their "pending" mark)`;
  return line;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + ' '.repeat(width - text.length);
}

/** Case-by-case comparison of two runs of the same cases. */
export function sideBySide(leftLabel: string, left: readonly CaseResult[], rightLabel: string, right: readonly CaseResult[]): string {
  const byId = new Map(right.map((r) => [r.id, r]));
  const titleWidth = 66;
  const rows = [
    `${pad('case', 8)} ${pad('title', titleWidth)} ${pad(leftLabel, 8)} ${rightLabel}`,
    `${'-'.repeat(8)} ${'-'.repeat(titleWidth)} ${'-'.repeat(8)} ${'-'.repeat(rightLabel.length)}`,
  ];
  for (const l of left) {
    const r = byId.get(l.id);
    const title = `${l.pending ? '(pending) ' : ''}${l.title}`;
    rows.push(`${pad(l.id, 8)} ${pad(title, titleWidth)} ${pad(LABEL[l.outcome], 8)} ${r ? LABEL[r.outcome] : '-'}`);
  }
  return rows.join('\n');
}
