/**
 * UID syntax per PS3.5 §9.1: components of digits separated by dots, no leading
 * zero in a multi-digit component, at most 64 characters. Validated before any
 * UID reaches an upstream URL, so that nothing but a UID can land in its path.
 */
const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function isValidUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && UID_PATTERN.test(value);
}

/**
 * Path segments get a laxer check than PS3.5: real archives hold UIDs with leading
 * zeros in components (e.g. `0.0.0.0.1.8811...`); only digits and dots can pass.
 */
export function isSafeUidSegment(value: string): boolean {
  return value.length > 0 && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}
