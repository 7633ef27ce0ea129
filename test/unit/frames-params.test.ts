import test from 'ava';
import { BadRequestError } from '../../src/http/errors.js';
import { MAX_FRAMES_PER_REQUEST, parseFrameList } from '../../src/dicomweb/wado/frames/params.js';

test('one frame, several frames, in request order', (t) => {
  t.deepEqual(parseFrameList('1'), [1]);
  t.deepEqual(parseFrameList('1,3,5'), [1, 3, 5]);
  t.deepEqual(parseFrameList('7,2'), [7, 2]);
  t.deepEqual(parseFrameList(' 4 , 5'), [4, 5]);
});

for (const [text, why] of [
  ['', /empty/],
  ['0', /frame 0/],
  ['1,0', /frame 0/],
  ['-1', /not a frame number/],
  ['1.5', /not a frame number/],
  ['a', /not a frame number/],
  ['1,,2', /not a frame number/],
  ['1,', /not a frame number/],
  ['2,2', /more than once/],
  ['99999999999', /not a frame number/],
  ['4294967296', /larger than any/],
] as const) {
  test(`"${text}" is a 400 naming the frames parameter`, (t) => {
    const err = t.throws(() => parseFrameList(text), { instanceOf: BadRequestError });
    t.is(err?.status, 400);
    t.is(err?.code, 'INVALID_FRAME_LIST');
    t.is(err?.extras.parameter, 'frames');
    t.regex(err?.detail ?? '', why);
  });
}

test(`at most ${MAX_FRAMES_PER_REQUEST} frames`, (t) => {
  const list = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(',');
  t.is(parseFrameList(list(MAX_FRAMES_PER_REQUEST)).length, MAX_FRAMES_PER_REQUEST);
  t.throws(() => parseFrameList(list(MAX_FRAMES_PER_REQUEST + 1)), { message: /at most 1000/ });
});
