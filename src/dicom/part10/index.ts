/**
 * Part 10 file walking: public surface.
 */
export { indexPart10, type Part10Index, type ElementInfo, type PixelDataInfo, type WalkOptions } from './walker.js';
export { Part10Error, type Part10ErrorCode } from './errors.js';
export { bufferSource, chunksSource, fileSource, type ByteSource } from './byte-source.js';
export type { Fragment } from './encapsulated.js';
export { readMeta, type MetaInfo } from './meta.js';
export { stringValue, numberValue, keywordValues } from './lookup.js';
