/**
 * The WADO-RS (PS3.18 §10.4, Retrieve Transaction) conformance cases, in id order.
 *
 * | file               | cases                                                      |
 * |--------------------|------------------------------------------------------------|
 * | wado-retrieve.ts   | study/series/instance, transfer syntaxes, 404/406          |
 * | wado-frames.ts     | frames: single, list, 1-based, out of range, OHIF Accept   |
 * | wado-rendered.ts   | rendered JPEG/PNG with viewport, 406, thumbnail            |
 * | wado-metadata.ts   | metadata, BulkDataURIs, ETag/304, bulk data, Range         |
 */
import type { ConformanceCase } from '../types.js';
import { frameCases } from './wado-frames.js';
import { metadataCases } from './wado-metadata.js';
import { renderedCases } from './wado-rendered.js';
import { retrieveCases } from './wado-retrieve.js';

export const wadoCases: readonly ConformanceCase[] = [...retrieveCases, ...frameCases, ...renderedCases, ...metadataCases]
  .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
