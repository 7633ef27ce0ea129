/**
 * Pixel Data consistency (PS3.5 §8.1.1 native, §A.4 encapsulated; PS3.3
 * C.7.6.3 Image Pixel Module): for native encodings the value length must cover
 * Rows × Columns × Samples per Pixel × Bits Allocated × Number of Frames.
 */
import { numberValue, stringValue, type Part10Index } from '../../dicom/part10/index.js';
import { transferSyntax } from '../../dicom/transfer-syntax.js';
import { InstanceFailure, type ReasonDetail } from './outcome.js';
import { FailureReason, WarningReason } from './reasons.js';

const PIXEL_TAG_NAMES: Record<string, string> = { '7FE00010': 'Pixel Data (7FE0,0010)', '7FE00008': 'Float Pixel Data (7FE0,0008)', '7FE00009': 'Double Float Pixel Data (7FE0,0009)' };
const VIDEO_SYNTAX = /^1\.2\.840\.10008\.1\.2\.4\.10[0-9]/;

function mismatch(comment: string): InstanceFailure {
  return new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, comment);
}

function requiredNumber(index: Part10Index, keyword: string, tag: string): number {
  const n = numberValue(index, keyword);
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    const raw = stringValue(index, keyword);
    throw mismatch(raw === undefined ? `${keyword} ${tag} is missing; it is required with Pixel Data` : `${keyword} ${tag} "${raw.slice(0, 16)}" is not a valid number`);
  }
  return n;
}

/** Number of Frames (0028,0008) is an IS string; absent means 1. */
function frameCount(index: Part10Index): number {
  const raw = stringValue(index, 'NumberOfFrames');
  if (raw === undefined || raw.trim() === '') return 1;
  if (!/^\s*\+?\d+\s*$/.test(raw)) throw mismatch(`NumberOfFrames (0028,0008) "${raw.slice(0, 16)}" is not an integer string`);
  const n = Number(raw);
  if (n < 1) throw mismatch(`NumberOfFrames (0028,0008) is ${n}; it must be at least 1`);
  return n;
}

/** Returns a warning for acceptable oddities; throws InstanceFailure for inconsistent pixel data. */
export function checkPixelData(index: Part10Index): ReasonDetail | undefined {
  const pixels = index.pixelData;
  if (!pixels) return undefined;
  const name = PIXEL_TAG_NAMES[pixels.tag] ?? 'Pixel Data';
  const encapsulatedSyntax = transferSyntax(index.transferSyntaxUid)?.encapsulated ?? false;
  const frames = frameCount(index);
  if (encapsulatedSyntax !== pixels.encapsulated) {
    throw new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, `${name} is ${pixels.encapsulated ? 'encapsulated' : 'native'} but the Transfer Syntax ${index.transferSyntaxUid} is ${encapsulatedSyntax ? 'encapsulated' : 'native'}`);
  }
  if (pixels.encapsulated) {
    if (pixels.fragments.length === 0) throw mismatch(`${name} is encapsulated but holds no fragment`);
    if (!VIDEO_SYNTAX.test(index.transferSyntaxUid) && pixels.fragments.length < frames) {
      throw mismatch(`${name} has ${pixels.fragments.length} fragments for ${frames} frames (NumberOfFrames)`);
    }
    return undefined;
  }
  const rows = requiredNumber(index, 'Rows', '(0028,0010)');
  const columns = requiredNumber(index, 'Columns', '(0028,0011)');
  const bits = requiredNumber(index, 'BitsAllocated', '(0028,0100)');
  const samples = pixels.tag === '7FE00010' ? requiredNumber(index, 'SamplesPerPixel', '(0028,0002)') : 1;
  const expected = Math.ceil((rows * columns * samples * frames * bits) / 8);
  if (pixels.length < expected) {
    throw mismatch(`${name} has ${pixels.length} bytes; Rows×Columns×Samples×Bits×Frames (${rows}×${columns}×${samples}×${bits}×${frames}) need ${expected}`);
  }
  if (pixels.length > expected + 1) {
    return { code: WarningReason.DATASET_DOES_NOT_MATCH, comment: `${name} has ${pixels.length} bytes, more than the ${expected} that Rows×Columns×Samples×Bits×Frames need` };
  }
  return undefined;
}
