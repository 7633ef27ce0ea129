import test from 'ava';
import { NotAcceptableError } from '../../src/http/errors.js';
import { frameChoices, passThroughChoice, planFrames } from '../../src/dicomweb/wado/frames/negotiation.js';

const JPEG = '1.2.840.10008.1.2.4.50';
const LE = '1.2.840.10008.1.2.1';
const OHIF = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

test('OHIF\'s Accept gets stored frames as application/octet-stream labelled with the stored syntax', (t) => {
  const choices = frameChoices(OHIF);
  t.deepEqual(planFrames(choices, JPEG, true, 1), { source: 'stored', multipart: true, partType: 'application/octet-stream', transferSyntax: JPEG });
  t.deepEqual(planFrames(choices, '1.2.840.10008.1.2.2', false, 3), { source: 'stored', multipart: true, partType: 'application/octet-stream', transferSyntax: LE });
  t.truthy(passThroughChoice(choices));
});

test('no transfer-syntax: uncompressed; compressed data is decoded upstream', (t) => {
  const choices = frameChoices('multipart/related; type="application/octet-stream"');
  t.deepEqual(planFrames(choices, JPEG, true, 1), { source: 'decode', multipart: true });
  t.deepEqual(planFrames(choices, '1.2.840.10008.1.2', false, 1), { source: 'stored', multipart: true, partType: 'application/octet-stream', transferSyntax: LE });
  t.deepEqual(planFrames(frameChoices(undefined), JPEG, true, 1), { source: 'decode', multipart: true });
});

test('a compressed part type is served when the stored syntax matches, else the next choice', (t) => {
  const choices = frameChoices('multipart/related; type="image/jp2", multipart/related; type="image/jpeg"; q=0.9, application/octet-stream; q=0.1');
  t.deepEqual(planFrames(choices, JPEG, true, 1), { source: 'stored', multipart: true, partType: 'image/jpeg', transferSyntax: JPEG });
  t.deepEqual(planFrames(choices, '1.2.840.10008.1.2.4.90', true, 1), { source: 'stored', multipart: true, partType: 'image/jp2', transferSyntax: '1.2.840.10008.1.2.4.90' });
  t.deepEqual(planFrames(choices, LE, false, 1), { source: 'stored', multipart: false, partType: 'application/octet-stream', transferSyntax: LE });
  t.is(passThroughChoice(choices), undefined, 'image/jp2 first: the stored syntax must be known');
});

test('single part only for one frame; nothing servable is 406', (t) => {
  const single = frameChoices('application/octet-stream; transfer-syntax=*');
  t.deepEqual(planFrames(single, JPEG, true, 1), { source: 'stored', multipart: false, partType: 'application/octet-stream', transferSyntax: JPEG });
  const err = t.throws(() => planFrames(single, JPEG, true, 2), { instanceOf: NotAcceptableError });
  t.regex(err?.detail ?? '', /single-part answer can carry one frame only/);
  t.throws(() => planFrames(frameChoices('multipart/related; type="image/jpeg"'), LE, false, 1), { instanceOf: NotAcceptableError });
  t.throws(() => planFrames(frameChoices(`multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.70`), JPEG, true, 1), { instanceOf: NotAcceptableError });
  t.throws(() => frameChoices('application/dicom'), { instanceOf: NotAcceptableError });
});
