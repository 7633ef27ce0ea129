/**
 * Bulk link import: a CSV file with a header row
 * (`ehrId,ehrIssuer,patientId,issuerOfPatientId,name,birthDate,sex`; columns in
 * any order, the last four optional) or a JSON array of link objects with the
 * same field names. Validation is all or nothing: every row is checked and any
 * problem rejects the whole import with the list of `{row, field, message}`.
 * `row` is the 1-based number of the record (the CSV header is row 0 and not
 * counted; for JSON, the array index + 1).
 */
import { CsvSyntaxError, parseCsv } from './csv.js';
import { LINK_FIELDS, parseLinkInput, type ValidationRules } from './validation.js';
import type { LinkInput } from './types.js';

export interface RowError {
  row: number;
  field: string;
  message: string;
}

export type ImportParse = { inputs: LinkInput[]; errors: []; errorCount: 0 } | { inputs?: undefined; errors: RowError[]; errorCount: number };

const REQUIRED_COLUMNS = ['ehrId', 'ehrIssuer', 'patientId'];
/** Problems listed in one answer; errorCount tells the full number. */
export const MAX_ERRORS = 100;

function headerErrors(header: readonly string[]): RowError[] {
  const errors: RowError[] = [];
  for (const name of header) {
    if (!(LINK_FIELDS as readonly string[]).includes(name)) errors.push({ row: 0, field: name.slice(0, 40) || '(empty)', message: `unknown column "${name.slice(0, 40)}"; the columns are ${LINK_FIELDS.join(', ')}` });
  }
  for (const name of REQUIRED_COLUMNS) if (!header.includes(name)) errors.push({ row: 0, field: name, message: `the header has no ${name} column` });
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate) errors.push({ row: 0, field: duplicate, message: `column ${duplicate} appears twice` });
  return errors;
}

/** CSV text → records keyed by column name, or the problems of its shape. */
export function csvRecords(text: string): { records?: Array<Record<string, string>>; errors: RowError[] } {
  let parsed;
  try {
    parsed = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { errors: [{ row: 0, field: 'csv', message: err.message }] };
    throw err;
  }
  const [headerRecord, ...rows] = parsed;
  if (!headerRecord) return { errors: [{ row: 0, field: 'csv', message: `the file is empty; it needs a header row (${LINK_FIELDS.join(',')})` }] };
  const header = headerRecord.values.map((v) => v.trim());
  const errors = headerErrors(header);
  if (errors.length > 0) return { errors };
  const records: Array<Record<string, string>> = [];
  rows.forEach((record, i) => {
    if (record.values.length !== header.length) {
      errors.push({ row: i + 1, field: 'csv', message: `line ${record.line} has ${record.values.length} values; the header has ${header.length} columns` });
    }
    records.push(Object.fromEntries(header.map((name, column) => [name, record.values[column] ?? ''])));
  });
  return errors.length > 0 ? { errors } : { records, errors };
}

/** Validates every record; all links, or all problems (at most MAX_ERRORS listed, errorCount says how many). */
export function validateRecords(records: readonly unknown[], rules: ValidationRules): ImportParse {
  const inputs: LinkInput[] = [];
  const errors: RowError[] = [];
  records.forEach((record, i) => {
    const checked = parseLinkInput(record, rules);
    if (checked.input) inputs.push(checked.input);
    for (const e of checked.errors) errors.push({ row: i + 1, ...e });
  });
  if (errors.length > 0) return { errors: errors.slice(0, MAX_ERRORS), errorCount: errors.length };
  return { inputs, errors: [], errorCount: 0 };
}

export function parseCsvImport(text: string, rules: ValidationRules): ImportParse {
  const { records, errors } = csvRecords(text);
  if (!records) return { errors: errors.slice(0, MAX_ERRORS), errorCount: errors.length };
  return validateRecords(records, rules);
}

export function parseJsonImport(body: unknown, rules: ValidationRules): ImportParse {
  if (!Array.isArray(body)) return { errors: [{ row: 0, field: 'body', message: 'a JSON import is an array of link objects' }], errorCount: 1 };
  return validateRecords(body, rules);
}
