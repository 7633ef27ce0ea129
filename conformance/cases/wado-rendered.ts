/**
 * WADO-RS Rendered and Thumbnail resources (PS3.18 §10.4.1.1.3 Table 10.4.1-3,
 * §10.4.1.1.4 Table 10.4.1-4) with the Rendered Media Types of §8.7.4 and the
 * viewport parameter of §8.3.5.1.3.
 */
import { check, describe, expectStatus, mediaTypeOf } from '../assert.js';
import { FIXTURE, instanceUidsOf } from '../fixtures.js';
import type { HttpAnswer } from '../http.js';
import type { ConformanceCase } from '../types.js';
import { CT_SERIES_1, CT_STUDY } from './common.js';
import { instancePath } from './wado-common.js';

const RENDERED = `${instancePath(CT_STUDY.uid, CT_SERIES_1.uid, instanceUidsOf(CT_SERIES_1.uid)[0]!)}/rendered`;
const VIEWPORT = 64;
const MULTI = FIXTURE.multiframe;
const MULTI_PATH = instancePath(FIXTURE.dvorak.studies[0]!.uid, MULTI.uid, instanceUidsOf(MULTI.uid)[0]!);

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function expectImage(res: HttpAnswer, type: string, magic: Buffer): void {
  expectStatus(res, 200);
  check(mediaTypeOf(res) === type, `expected ${type}, got ${describe(res)}`);
  check(res.body.subarray(0, magic.length).equals(magic), `the body does not start with the ${type} signature`);
}

/** Width and height from the PNG IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export const renderedCases: ConformanceCase[] = [
  {
    id: 'WADO-12',
    section: 'PS3.18 §10.4.1.1.3 Table 10.4.1-3, §8.7.4, §8.3.5.1.3',
    title: `rendered instance, Accept image/jpeg, viewport=${VIEWPORT},${VIEWPORT}`,
    async run(ctx) {
      expectImage(await ctx.get(`${RENDERED}?viewport=${VIEWPORT},${VIEWPORT}`, { accept: 'image/jpeg' }), 'image/jpeg', JPEG_MAGIC);
    },
  },
  {
    id: 'WADO-13',
    section: 'PS3.18 §10.4.1.1.3 Table 10.4.1-3, §8.7.4, §8.3.5.1.3',
    title: `rendered instance, Accept image/png, viewport=${VIEWPORT},${VIEWPORT} fits the viewport`,
    async run(ctx) {
      const res = await ctx.get(`${RENDERED}?viewport=${VIEWPORT},${VIEWPORT}`, { accept: 'image/png' });
      expectImage(res, 'image/png', PNG_MAGIC);
      const { width, height } = pngSize(res.body);
      // A 16×16 image scaled into a 64×64 viewport, aspect ratio kept: 64×64.
      check(width === VIEWPORT && height === VIEWPORT, `rendered PNG is ${width}×${height}, expected ${VIEWPORT}×${VIEWPORT}`);
    },
  },
  {
    id: 'WADO-14',
    section: 'PS3.18 §10.4.3.1 Table 10.4.3-1, §8.7.4',
    title: 'rendered instance, Accept application/zip alone answers 406',
    async run(ctx) {
      expectStatus(await ctx.get(RENDERED, { accept: 'application/zip' }), 406);
    },
  },
  {
    id: 'WADO-15',
    section: 'PS3.18 §10.4.1.1.4 Table 10.4.1-4 (optional resource, Table 10.3-2)',
    title: 'series thumbnail is an image in a Rendered Media Type',
    async run(ctx) {
      const res = await ctx.get(`/studies/${CT_STUDY.uid}/series/${CT_SERIES_1.uid}/thumbnail`, { accept: 'image/jpeg, image/png' });
      expectStatus(res, 200);
      const type = mediaTypeOf(res);
      check(type === 'image/jpeg' || type === 'image/png', `expected image/jpeg or image/png, got ${describe(res)}`);
      check(res.body.subarray(0, 3).equals(JPEG_MAGIC) || res.body.subarray(0, 8).equals(PNG_MAGIC), 'the body is not a JPEG or PNG image');
    },
  },
  {
    id: 'WADO-22',
    section: 'PS3.18 §10.4.1.1.3 Table 10.4.1-3 (Rendered Frames), §10.4.3.1 Table 10.4.3-1',
    title: `rendered frame ${MULTI.frames ?? 1} of a multi-frame instance is a PNG; frame ${(MULTI.frames ?? 1) + 1} answers 404`,
    async run(ctx) {
      const last = MULTI.frames ?? 1;
      expectImage(await ctx.get(`${MULTI_PATH}/frames/${last}/rendered`, { accept: 'image/png' }), 'image/png', PNG_MAGIC);
      expectStatus(await ctx.get(`${MULTI_PATH}/frames/${last + 1}/rendered`, { accept: 'image/png' }), 404);
    },
  },
];
