import test from 'ava';
import { negotiateSimple, parseAccept, parseMediaType } from '../../src/http/accept.js';

test('parses parameters, quoted values and q', (t) => {
  const [range] = parseAccept('multipart/related; type="application/dicom"; transfer-syntax=*;q=0.5');
  t.is(range!.type, 'multipart');
  t.is(range!.subtype, 'related');
  t.deepEqual(range!.params, { type: 'application/dicom', 'transfer-syntax': '*' });
  t.is(range!.q, 0.5);
});

test('commas inside quotes do not split', (t) => {
  const ranges = parseAccept('multipart/related; type="a,b", application/json');
  t.is(ranges.length, 2);
});

test('sorts by quality, ignores q=0 and garbage', (t) => {
  const ranges = parseAccept('text/html;q=0.1, application/json, image/png;q=0, nonsense');
  t.deepEqual(ranges.map((r) => `${r.type}/${r.subtype}`), ['application/json', 'text/html']);
});

test('negotiation follows the client preference, then the server order', (t) => {
  const offered = ['application/dicom+json', 'application/json'];
  t.is(negotiateSimple(undefined, offered), 'application/dicom+json');
  t.is(negotiateSimple('*/*', offered), 'application/dicom+json');
  t.is(negotiateSimple('application/json', offered), 'application/json');
  t.is(negotiateSimple('application/json;q=1, application/dicom+json;q=0.5', offered), 'application/json');
  t.is(negotiateSimple('application/*', offered), 'application/dicom+json');
  t.is(negotiateSimple('application/dicom+xml', offered), undefined);
});

test('parseMediaType rejects what is not type/subtype', (t) => {
  t.is(parseMediaType('json'), undefined);
  t.deepEqual(parseMediaType('Application/DICOM+JSON')?.subtype, 'dicom+json');
});
