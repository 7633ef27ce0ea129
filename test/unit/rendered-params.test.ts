/**
 * Rendering query parameters (PS3.18 §8.3.5) and frame lists: parsing,
 * validation (400 naming the parameter), normalization for cache keys.
 */
import test from 'ava';
import { BadRequestError } from '../../src/http/errors.js';
import {
  MAX_VIEWPORT_EDGE, canonicalParams, parseFrameList, parseRenderQuery, thumbnailParams, viewportText, windowText,
} from '../../src/dicomweb/wado/rendered/params.js';

function rejects(t: import('ava').ExecutionContext, query: string, parameter: string) {
  const err = t.throws(() => parseRenderQuery(query), { instanceOf: BadRequestError });
  t.is(err?.status, 400);
  t.is(err?.extras.parameter, parameter, `${query} should name ${parameter}`);
  t.true(err?.message.includes(`"${parameter}"`));
}

test('no parameters: nothing to apply', (t) => {
  const q = parseRenderQuery('');
  t.deepEqual(q.params, { annotation: [] });
  t.deepEqual(q.warnings, []);
  t.is(canonicalParams(q.params), '');
});

test('quality is an integer from 1 to 100', (t) => {
  t.is(parseRenderQuery('quality=1').params.quality, 1);
  t.is(parseRenderQuery('quality=100').params.quality, 100);
  for (const bad of ['0', '101', '-5', '50.5', 'high', '']) rejects(t, `quality=${bad}`, 'quality');
});

test('viewport with and without a source region', (t) => {
  t.deepEqual(parseRenderQuery('viewport=64,32').params.viewport, { vw: 64, vh: 32 });
  t.deepEqual(parseRenderQuery('viewport=128,128,10,20.5,100,-50').params.viewport, { vw: 128, vh: 128, region: { sx: 10, sy: 20.5, sw: 100, sh: -50 } });
  t.deepEqual(parseRenderQuery('viewport=64%2C64').params.viewport, { vw: 64, vh: 64 }, 'percent-encoded commas');
});

test('viewport errors name the parameter', (t) => {
  for (const bad of ['64', '0,0', '64,0', 'a,b', '64,64,0,0', '64,64,-1,0,10,10', '64,64,0,0,0,10', `${MAX_VIEWPORT_EDGE + 1},10`, '64,64,x,0,10,10']) rejects(t, `viewport=${bad}`, 'viewport');
});

test('window: center, width and function; linear by default', (t) => {
  t.deepEqual(parseRenderQuery('window=40,400,linear').params.window, { center: 40, width: 400, fn: 'linear' });
  t.deepEqual(parseRenderQuery('window=-600,1500').params.window, { center: -600, width: 1500, fn: 'linear' });
  t.deepEqual(parseRenderQuery('window=40,0.5,SIGMOID').params.window, { center: 40, width: 0.5, fn: 'sigmoid' });
  t.is(parseRenderQuery('window=40,400,linear-exact').params.window?.fn, 'linear-exact');
});

test('window errors name the parameter', (t) => {
  for (const bad of ['40', '40,400,cubic', 'a,400', '40,0,linear', '40,0.5,linear', '40,-3,sigmoid', '40,400,linear,x']) rejects(t, `window=${bad}`, 'window');
});

test('annotation keywords are validated and normalized', (t) => {
  t.deepEqual(parseRenderQuery('annotation=technique,patient,patient').params.annotation, ['patient', 'technique']);
  rejects(t, 'annotation=everything', 'annotation');
});

test('iccprofile: no is accepted; other profiles warn; nonsense is a 400', (t) => {
  t.deepEqual(parseRenderQuery('iccprofile=no').warnings, []);
  t.regex(parseRenderQuery('iccprofile=srgb').warnings[0] ?? '', /not supported/);
  rejects(t, 'iccprofile=p3', 'iccprofile');
});

test('repeated parameters are refused; unknown ones ignored; accept is kept', (t) => {
  rejects(t, 'quality=10&quality=20', 'quality');
  const q = parseRenderQuery('charset=utf-8&foo=bar&accept=image/png');
  t.deepEqual(q.params, { annotation: [] });
  t.is(q.accept, 'image/png');
});

test('equal requests give one canonical key', (t) => {
  const a = parseRenderQuery('window=40,400&viewport=64,64&quality=80');
  const b = parseRenderQuery('quality=80&viewport=64,64&window=40.0,400,LINEAR');
  t.is(canonicalParams(a.params), canonicalParams(b.params));
  t.is(canonicalParams(a.params), 'q=80&vp=64,64&w=40,400,linear');
  t.is(viewportText({ vw: 10, vh: 20, region: { sx: 1.5, sy: 0, sw: -3, sh: 4 } }), '10,20,1.5,0,-3,4');
  t.is(windowText({ center: -1000.25, width: 1, fn: 'sigmoid' }), '-1000.25,1,sigmoid');
});

test('thumbnails keep viewport and quality, default the size, and drop annotation with a warning', (t) => {
  const q = thumbnailParams(parseRenderQuery('annotation=patient&window=1,2&quality=50'), 128);
  t.deepEqual(q.params, { annotation: [], viewport: { vw: 128, vh: 128 }, quality: 50 });
  t.is(q.warnings.length, 2);
  t.deepEqual(thumbnailParams(parseRenderQuery('viewport=64,48'), 128).params.viewport, { vw: 64, vh: 48 });
});

test('frame lists: positive, distinct, bounded', (t) => {
  t.deepEqual(parseFrameList('3'), [3]);
  t.deepEqual(parseFrameList('2,1,5'), [2, 1, 5]);
  for (const bad of ['0', '1,1', 'a', '1,,2', '-1', '1.5']) {
    const err = t.throws(() => parseFrameList(bad), { instanceOf: BadRequestError });
    t.is(err?.extras.parameter, 'frames');
  }
  t.throws(() => parseFrameList(Array.from({ length: 1001 }, (_, i) => i + 1).join(',')), { instanceOf: BadRequestError });
});
