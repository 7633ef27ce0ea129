/**
 * WADO-RS Frames resource (PS3.18 §10.4.1.1.1 Table 10.4.1-1, {frames} of
 * §10.1.1: a comma-separated list of 1-based frame numbers in ascending order)
 * with the bulk data media types of §8.7.3.3 and the status codes of Table 10.4.3-1.
 */
import { check, expectEqual, expectStatus } from '../assert.js';
import { FIXTURE, instanceUidsOf } from '../fixtures.js';
import { parseMediaType } from '../multipart.js';
import type { ConformanceCase } from '../types.js';
import { ACCEPT_OCTETS_AS_STORED, EXPLICIT_VR_LE, FRAME_BYTES, fixtureFrame, getParts, instancePath, multipartParts } from './wado-common.js';

const MULTI = FIXTURE.multiframe;
const MULTI_FRAMES = MULTI.frames ?? 1;
const MULTI_UID = instanceUidsOf(MULTI.uid)[0]!;
const MULTI_PATH = instancePath(FIXTURE.dvorak.studies[0]!.uid, MULTI.uid, MULTI_UID);

/** The Accept header OHIF (dicomweb-client) sends for frames: unquoted type, transfer-syntax=*. */
const OHIF_FRAMES_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

export const frameCases: ConformanceCase[] = [
  {
    id: 'WADO-07',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1, §8.7.3.3',
    title: 'frames/1: one application/octet-stream part, the first frame',
    async run(ctx) {
      const parts = await getParts(ctx, `${MULTI_PATH}/frames/1`, ACCEPT_OCTETS_AS_STORED, 'application/octet-stream');
      expectEqual(parts.length, 1, 'number of parts');
      expectEqual(parts[0]!.body.length, FRAME_BYTES, 'bytes in the frame');
      check(parts[0]!.body.equals(fixtureFrame(MULTI_UID, 1, MULTI_FRAMES)), 'frames/1 is not the first frame of the Pixel Data');
    },
  },
  {
    id: 'WADO-08',
    section: 'PS3.18 §10.1.1 ({frames}), §10.4.1.1.1 Table 10.4.1-1',
    title: `frames/1,${MULTI_FRAMES}: two parts in order, 1-based frame numbers`,
    async run(ctx) {
      const parts = await getParts(ctx, `${MULTI_PATH}/frames/1,${MULTI_FRAMES}`, ACCEPT_OCTETS_AS_STORED, 'application/octet-stream');
      expectEqual(parts.length, 2, 'number of parts');
      check(parts[0]!.body.equals(fixtureFrame(MULTI_UID, 1, MULTI_FRAMES)), 'part 1 is not frame 1');
      check(parts[1]!.body.equals(fixtureFrame(MULTI_UID, MULTI_FRAMES, MULTI_FRAMES)), `part 2 is not frame ${MULTI_FRAMES} (the last)`);
    },
  },
  {
    id: 'WADO-09',
    section: 'PS3.18 §10.4.3.1 Table 10.4.3-1 (404: the Target Resource does not exist)',
    title: `frames/${MULTI_FRAMES + 1} of a ${MULTI_FRAMES}-frame instance answers 404`,
    async run(ctx) {
      expectStatus(await ctx.get(`${MULTI_PATH}/frames/${MULTI_FRAMES + 1}`, { accept: ACCEPT_OCTETS_AS_STORED }), 404);
    },
  },
  {
    id: 'WADO-10',
    section: 'PS3.18 §10.1.1 ({frames} are 1-based), §10.4.3.1 Table 10.4.3-1 (400)',
    title: 'frames/0 answers 400',
    async run(ctx) {
      expectStatus(await ctx.get(`${MULTI_PATH}/frames/0`, { accept: ACCEPT_OCTETS_AS_STORED }), 400);
    },
  },
  {
    id: 'WADO-11',
    section: 'PS3.18 §8.7.3.3, §8.7.3.5.2, §8.6.1.2; RFC 2387 §3.1',
    title: 'OHIF frames Accept: parts are application/octet-stream; transfer-syntax=<uid>',
    async run(ctx) {
      const res = await ctx.get(`${MULTI_PATH}/frames/1,2`, { accept: OHIF_FRAMES_ACCEPT });
      const parts = multipartParts(res, 'application/octet-stream');
      // RFC 2387 §3.1: the type parameter is a bare type/subtype; the transfer syntax
      // belongs on each part (PS3.18 §8.7.3.5.2), not inside the quoted type value.
      const rootType = parseMediaType(res.headers['content-type']).params['type'] ?? '';
      check(!rootType.includes(';'), `multipart/related type parameter "${rootType}" carries parameters (RFC 2387 §3.1 allows only type/subtype)`);
      expectEqual(parts.length, 2, 'number of parts');
      parts.forEach((p, i) => {
        const header = p.headers['content-type'] ?? '';
        const media = parseMediaType(header);
        check(media.type === 'application/octet-stream', `part ${i + 1}: Content-Type "${header}", expected application/octet-stream`);
        expectEqual(media.params['transfer-syntax'], EXPLICIT_VR_LE, `part ${i + 1}: transfer-syntax parameter of "${header}"`);
      });
    },
  },
];
