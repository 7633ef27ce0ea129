/**
 * The {frames} path segment of the Pixel Data (frame) resources, PS3.18
 * §10.4.1.1.6: a comma separated list of one or more non-duplicate frame
 * numbers, numbered from 1 as in the Frame Level Retrieve SOP Classes
 * (PS3.4 §Y.3.2: "the first frame ... shall be denoted as frame number 1").
 */
import { BadRequestError } from '../../../http/errors.js';

/** Most frame numbers one request may name; a viewer asks one or a few at a time. */
export const MAX_FRAMES_PER_REQUEST = 1000;

/** Frame numbers above this cannot exist (NumberOfFrames is an IS of at most 12 characters). */
const MAX_FRAME_NUMBER = 2 ** 31 - 1;

function invalid(detail: string): BadRequestError {
  return new BadRequestError('INVALID_FRAME_LIST', detail, { parameter: 'frames' });
}

/** Parses `1`, `1,3,5` into frame numbers in request order; 400 naming `frames` otherwise. */
export function parseFrameList(text: string): number[] {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  if (text === '') throw invalid('The frame list in the path is empty; name one or more frame numbers, e.g. frames/1 or frames/1,3,5.');
  const items = text.split(',');
  if (items.length > MAX_FRAMES_PER_REQUEST) {
    throw invalid(`The frame list names ${items.length} frames; at most ${MAX_FRAMES_PER_REQUEST} may be asked in one request.`);
  }
  const seen = new Set<number>();
  return items.map((item) => {
    const value = item.trim();
    if (!/^\d{1,10}$/.test(value)) {
      throw invalid(`The frame list "${shown}" contains "${value.slice(0, 20)}", which is not a frame number; frame numbers are positive integers separated by commas.`);
    }
    const frame = Number(value);
    if (frame === 0) throw invalid('Frame numbers start at 1 (PS3.18 frame-list); frame 0 does not exist.');
    if (frame > MAX_FRAME_NUMBER) throw invalid(`Frame number ${value} is larger than any instance can have.`);
    if (seen.has(frame)) throw invalid(`Frame ${frame} appears more than once in the frame list "${shown}"; each frame may be named once.`);
    seen.add(frame);
    return frame;
  });
}
