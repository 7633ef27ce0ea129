/**
 * Why an instance cannot be rendered, as typed errors with stable codes
 * (mapped to problem+json by the error middleware).
 */
import { GatewayError, NotFoundError } from '../../../http/errors.js';

/** 406: the instance exists but has no representation in any acceptable rendered type. */
export class NotRenderableError extends GatewayError {
  constructor(detail: string, supported: readonly string[] = []) {
    super(406, 'NOT_RENDERABLE', 'Not renderable', detail, { supported: [...supported] });
  }
}

/** 422: the instance is an image, but the gateway will not (or cannot) render its pixels. */
export class CannotRenderError extends GatewayError {
  constructor(code: 'TOO_LARGE_TO_RENDER' | 'CANNOT_DECODE_PIXELS' | 'NO_PIXEL_DATA', detail: string) {
    super(422, code, 'Cannot render', detail);
  }
}

/** A frame past the last does not exist: 404, as the Frames resource answers (PS3.18 Table 10.4.3-1). */
export function frameOutOfRange(frame: number, frames: number): NotFoundError {
  return new NotFoundError(`Frame ${frame} does not exist: the instance has ${frames} frame${frames === 1 ? '' : 's'} (numbered from 1).`, 'FRAME_OUT_OF_RANGE');
}

export function noThumbnail(what: string): NotFoundError {
  return new NotFoundError(`No thumbnail for ${what}: it holds no image that can be rendered (only non-image objects such as reports or documents).`, 'NO_THUMBNAIL');
}

export function instanceNotFound(what: string): NotFoundError {
  return new NotFoundError(`The archive has no ${what}.`, 'NOT_FOUND');
}
