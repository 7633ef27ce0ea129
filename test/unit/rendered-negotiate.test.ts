/**
 * Accept negotiation for rendered resources (PS3.18 §8.7.4) and the SOP
 * classes / modalities the rendering module treats as images.
 */
import test from 'ava';
import { negotiateRendered, notAcceptable } from '../../src/dicomweb/wado/rendered/negotiate.js';
import { isImageModality, sopKind } from '../../src/dicomweb/wado/rendered/sop-kinds.js';

test('JPEG is the default for a missing, */* or image/* Accept', (t) => {
  for (const accept of [undefined, '', '*/*', 'image/*']) {
    t.deepEqual(negotiateRendered(accept, false).image, { imageType: 'image/jpeg', multipart: false }, String(accept));
  }
});

test('PNG, WebP and GIF are offered; the client order and q-values decide', (t) => {
  t.is(negotiateRendered('image/png', false).image?.imageType, 'image/png');
  t.is(negotiateRendered('image/webp,image/png', false).image?.imageType, 'image/webp');
  t.is(negotiateRendered('image/png;q=0.5, image/gif', false).image?.imageType, 'image/gif');
  t.is(negotiateRendered('image/avif,image/webp,*/*;q=0.8', false).image?.imageType, 'image/webp', 'a browser <img> Accept');
});

test('multipart/related selects multipart; a bare image type is the part type for several images', (t) => {
  t.deepEqual(negotiateRendered('multipart/related; type="image/png"', false).image, { imageType: 'image/png', multipart: true });
  t.deepEqual(negotiateRendered('multipart/related', true).image, { imageType: 'image/jpeg', multipart: true });
  t.deepEqual(negotiateRendered('image/png', true).image, { imageType: 'image/png', multipart: true });
  t.is(negotiateRendered('multipart/related; type="application/dicom"', true).image, undefined);
});

test('application/pdf is recognized for Encapsulated PDF instances', (t) => {
  const pdfOnly = negotiateRendered('application/pdf', false);
  t.is(pdfOnly.image, undefined);
  t.true(pdfOnly.pdf);
  t.true(negotiateRendered('*/*', false).pdf);
  t.false(negotiateRendered('image/jpeg', false).pdf);
});

test('nothing acceptable: a 406 listing what is supported', (t) => {
  t.is(negotiateRendered('application/dicom', false).image, undefined);
  const err = notAcceptable('application/dicom', false);
  t.is(err.status, 406);
  t.true(err.supported.includes('image/webp'));
});

test('SOP classes: images, PDF, reports, waveforms, presentation states', (t) => {
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.2'), 'image');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.481.2'), 'image', 'RT Dose has pixels');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.66.4'), 'image', 'SEG has pixels');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.104.1'), 'pdf');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.88.11'), 'sr');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.88.59'), 'sr', 'Key Object Selection');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.9.1.1'), 'waveform');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.11.1'), 'presentation');
  t.is(sopKind('1.2.840.10008.5.1.4.1.1.481.3'), 'non-image');
  t.true(isImageModality('CT'));
  t.false(isImageModality('SR'));
  t.false(isImageModality('ko'));
});
