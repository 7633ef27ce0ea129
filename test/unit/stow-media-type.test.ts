import test from 'ava';
import { parseStowContentType } from '../../src/dicomweb/stow/media-type.js';
import { negotiateStoreResponse } from '../../src/dicomweb/stow/negotiate.js';
import { GatewayError } from '../../src/http/errors.js';

test('multipart/related parameters may be quoted or not, in any order (PS3.18 §8.6.1.2)', (t) => {
  for (const header of [
    'multipart/related; type="application/dicom"; boundary=abc',
    'multipart/related; boundary="abc"; type=application/dicom',
    'Multipart/Related;type=APPLICATION/DICOM;boundary=abc',
    'multipart/related; boundary=abc',
  ]) {
    t.deepEqual(parseStowContentType(header), { kind: 'multipart', form: 'dicom', boundary: 'abc' }, header);
  }
  t.deepEqual(parseStowContentType('multipart/related; type="application/dicom+json"; boundary=x; start="<meta>"'), { kind: 'multipart', form: 'json', boundary: 'x', start: '<meta>' });
  t.deepEqual(parseStowContentType('application/dicom'), { kind: 'single' });
});

test('other media types are 415 naming what is supported; a missing boundary is 400', (t) => {
  const status = (header: string | undefined) => (t.throws(() => parseStowContentType(header)) as GatewayError).status;
  t.is(status(undefined), 415);
  t.is(status('image/jpeg'), 415);
  t.is(status('multipart/related; type="application/dicom+xml"; boundary=a'), 415);
  t.is(status('multipart/mixed; boundary=a'), 415);
  t.is(status('multipart/related; type="application/dicom"'), 400);
  t.is(status(`multipart/related; boundary=${'b'.repeat(71)}`), 400);
  const err = t.throws(() => parseStowContentType('text/plain')) as GatewayError;
  t.deepEqual(err.extras.supported, ['multipart/related; type="application/dicom"', 'multipart/related; type="application/dicom+json"', 'application/dicom']);
});

test('the response is DICOM JSON unless XML is preferred', (t) => {
  t.is(negotiateStoreResponse(undefined), 'application/dicom+json');
  t.is(negotiateStoreResponse('*/*'), 'application/dicom+json');
  t.is(negotiateStoreResponse('application/json'), 'application/dicom+json');
  t.is(negotiateStoreResponse('application/dicom+xml'), 'application/dicom+xml');
  t.is(negotiateStoreResponse('multipart/related; type="application/dicom+xml"'), 'application/dicom+xml');
  t.is(negotiateStoreResponse('application/dicom+xml;q=0.5, application/dicom+json'), 'application/dicom+json');
  t.is((t.throws(() => negotiateStoreResponse('text/html')) as GatewayError).status, 406);
});
