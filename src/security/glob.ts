/**
 * Matching of PatientID / IssuerOfPatientID restrictions: exact values, or
 * patterns with `*` (any run of characters) and `?` (one character). Written as
 * a linear two-pointer scan instead of a RegExp, so a pattern from a token claim
 * can never cause catastrophic backtracking.
 */
export function globMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === '*') {
      starP = p++;
      starV = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      p++;
      v++;
    } else if (starP !== -1) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export function anyGlobMatches(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => globMatches(pattern, value));
}
