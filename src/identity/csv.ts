/**
 * CSV reading for the bulk link import (RFC 4180): comma separated, fields
 * optionally in double quotes ("" inside quotes is one quote; quoted fields
 * may hold commas and line breaks), CRLF or LF line ends, a UTF-8 byte order
 * mark ignored, blank lines skipped.
 */

export interface CsvRecord {
  /** Line of the file where the record starts (1-based), for messages. */
  line: number;
  values: string[];
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

interface Cursor {
  text: string;
  at: number;
  line: number;
}

/** Reads one quoted field starting at the opening quote; leaves the cursor after the closing quote. */
function quotedField(cursor: Cursor): string {
  const startLine = cursor.line;
  let value = '';
  cursor.at++;
  for (;;) {
    const next = cursor.text.indexOf('"', cursor.at);
    if (next === -1) throw new CsvSyntaxError(startLine, `line ${startLine}: a quoted field is not closed`);
    const chunk = cursor.text.slice(cursor.at, next);
    cursor.line += chunk.split('\n').length - 1;
    value += chunk;
    if (cursor.text[next + 1] === '"') {
      value += '"';
      cursor.at = next + 2;
      continue;
    }
    cursor.at = next + 1;
    return value;
  }
}

function plainField(cursor: Cursor): string {
  const rest = cursor.text.slice(cursor.at);
  const end = rest.search(/[,\r\n]/);
  const value = end === -1 ? rest : rest.slice(0, end);
  if (value.includes('"')) throw new CsvSyntaxError(cursor.line, `line ${cursor.line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
  cursor.at += value.length;
  return value;
}

/** Reads the fields of one record; the cursor ends after its line break. */
function readRecord(cursor: Cursor): string[] {
  const values: string[] = [];
  for (;;) {
    values.push(cursor.text[cursor.at] === '"' ? quotedField(cursor) : plainField(cursor));
    const c = cursor.text[cursor.at];
    if (c === ',') {
      cursor.at++;
      continue;
    }
    if (c === '\r' && cursor.text[cursor.at + 1] === '\n') cursor.at++;
    if (c !== undefined && c !== '\r' && c !== '\n') throw new CsvSyntaxError(cursor.line, `line ${cursor.line}: unexpected text after a quoted field`);
    if (c !== undefined) cursor.at++;
    cursor.line++;
    return values;
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const cursor: Cursor = { text: text.replace(/^\uFEFF/, ''), at: 0, line: 1 };
  const records: CsvRecord[] = [];
  while (cursor.at < cursor.text.length) {
    const line = cursor.line;
    const values = readRecord(cursor);
    if (values.length === 1 && values[0]!.trim() === '') continue;
    records.push({ line, values });
  }
  return records;
}
