/**
 * CSV reading, link validation and bulk import parsing (src/identity/csv.ts,
 * validation.ts, import.ts).
 */
import test from 'ava';
import { CsvSyntaxError, parseCsv } from '../../src/identity/csv.js';
import { parseCsvImport, parseJsonImport } from '../../src/identity/import.js';
import { checkBirthDate, parseLinkInput } from '../../src/identity/validation.js';

const rules = { ehrIssuers: ['EHR-A'] };

test('CSV: quotes, doubled quotes, commas and line breaks inside quotes, CRLF, BOM, blank lines', (t) => {
  const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""","two\nlines"\r\n\r\nplain,,end\n';
  t.deepEqual(parseCsv(text), [
    { line: 1, values: ['a', 'b', 'c'] },
    { line: 2, values: ['x, y', 'say "hi"', 'two\nlines'] },
    { line: 5, values: ['plain', '', 'end'] },
  ]);
  t.deepEqual(parseCsv('a,b'), [{ line: 1, values: ['a', 'b'] }]);
});

test('CSV: an unclosed quote or a stray quote is a syntax error with its line', (t) => {
  const unclosed = t.throws(() => parseCsv('a,b\n"x,y\n'), { instanceOf: CsvSyntaxError });
  t.is(unclosed?.line, 2);
  t.throws(() => parseCsv('a,b"c\n'), { instanceOf: CsvSyntaxError, message: /quote inside an unquoted field/ });
  t.throws(() => parseCsv('"a"b,c\n'), { instanceOf: CsvSyntaxError, message: /after a quoted field/ });
});

test('link input: trimmed values, YYYY-MM-DD birth dates become DA, sex upper-cased, empty issuer allowed', (t) => {
  const { input, errors } = parseLinkInput({ ehrId: ' E1 ', ehrIssuer: 'EHR-A', patientId: 'P1', name: 'Doe^Jane', birthDate: '1970-01-31', sex: 'f' }, rules);
  t.deepEqual(errors, []);
  t.deepEqual(input, { ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1', issuerOfPatientId: '', demographics: { name: 'Doe^Jane', birthDate: '19700131', sex: 'F' } });
});

test('link input: every problem names its field', (t) => {
  const { input, errors } = parseLinkInput({ ehrId: 'E*', ehrIssuer: 'OTHER', patientId: 'P\\1', issuerOfPatientId: 'EHR-A', birthDate: '19700231', sex: 'X', colour: 'red' }, rules);
  t.is(input, undefined);
  t.deepEqual(errors.map((e) => e.field).sort(), ['birthDate', 'colour', 'ehrId', 'ehrIssuer', 'issuerOfPatientId', 'patientId', 'sex']);
  t.regex(errors.find((e) => e.field === 'ehrIssuer')!.message, /not an EHR issuer.*EHR-A/);
  t.deepEqual(parseLinkInput({ ehrIssuer: 'EHR-A', patientId: 'P' }, rules).errors, [{ field: 'ehrId', message: 'ehrId is required' }]);
  t.is(parseLinkInput([], rules).errors[0]?.field, 'body');
  t.is(parseLinkInput({ ehrId: 'x'.repeat(65), ehrIssuer: 'EHR-A', patientId: 'P' }, rules).errors[0]?.field, 'ehrId');
});

test('birth dates: real calendar dates only', (t) => {
  t.deepEqual(checkBirthDate('20000229'), { value: '20000229' });
  t.true('error' in checkBirthDate('19000229'));
  t.true('error' in checkBirthDate('1970-1-1'));
  t.deepEqual(checkBirthDate(''), { value: undefined });
});

test('CSV import: header in any order, optional columns, one link per row', (t) => {
  const parsed = parseCsvImport('patientId,ehrIssuer,ehrId,birthDate\nP1,EHR-A,E1,19700101\nP2,EHR-A,E2,\n', rules);
  t.deepEqual(parsed.errors, []);
  t.deepEqual(parsed.inputs, [
    { ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1', issuerOfPatientId: '', demographics: { birthDate: '19700101' } },
    { ehrId: 'E2', ehrIssuer: 'EHR-A', patientId: 'P2', issuerOfPatientId: '' },
  ]);
});

test('CSV import: all or nothing, with the row (1-based record number) and field of every problem', (t) => {
  const text = 'ehrId,ehrIssuer,patientId,issuerOfPatientId,name,birthDate,sex\nE1,EHR-A,P1,,,,\nE2,EHR-A,,HOSP,,1970-13-01,M\nE3,EHR-B,P3,,,,\n';
  const parsed = parseCsvImport(text, rules);
  t.is(parsed.inputs, undefined);
  t.is(parsed.errorCount, 3);
  t.deepEqual(parsed.errors.map((e) => [e.row, e.field]), [[2, 'patientId'], [2, 'birthDate'], [3, 'ehrIssuer']]);
});

test('CSV import: header problems are row 0; a row with the wrong number of values is reported', (t) => {
  t.deepEqual(parseCsvImport('ehrId,issuer,patientId\n', rules).errors.map((e) => [e.row, e.field]), [[0, 'issuer'], [0, 'ehrIssuer']]);
  t.deepEqual(parseCsvImport('', rules).errors.map((e) => e.field), ['csv']);
  const short = parseCsvImport('ehrId,ehrIssuer,patientId\nE1,EHR-A\n', rules);
  t.deepEqual(short.errors.map((e) => [e.row, e.field]), [[1, 'csv']]);
  t.deepEqual(parseCsvImport('ehrId,ehrIssuer,patientId\n"E1,EHR-A,P1\n', rules).errors.map((e) => e.field), ['csv']);
});

test('JSON import: an array of link objects, rows numbered from 1', (t) => {
  t.is(parseJsonImport([{ ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1' }], rules).inputs?.length, 1);
  t.deepEqual(parseJsonImport([{ ehrId: 'E1', ehrIssuer: 'EHR-A', patientId: 'P1' }, { ehrId: 'E2', ehrIssuer: 'EHR-A' }], rules).errors, [{ row: 2, field: 'patientId', message: 'patientId is required' }]);
  t.is(parseJsonImport({ links: [] }, rules).errors[0]?.field, 'body');
});
