/**
 * The metadata + bulk data form of STOW-RS (PS3.18 §10.5.1.4, §8.6.1.2):
 * one application/dicom+json part holding an array of DICOM JSON datasets
 * (PS3.18 Annex F), and bulk data parts that its BulkDataURIs name by
 * Content-Location. Each dataset becomes a Part 10 file (dcmjs) so that it is
 * validated like any other instance and stored in archives that only take
 * application/dicom (Orthanc answers 415 to this form).
 */
import dcmjs from 'dcmjs';
import { BadRequestError } from '../../http/errors.js';
import { EXPLICIT_VR_LE, transferSyntax } from '../../dicom/transfer-syntax.js';
import { formatBytes, PayloadTooLargeError } from './errors.js';
import type { SpooledPart } from './ingest.js';
import { partMediaType } from './media-type.js';
import { InstanceFailure } from './outcome.js';
import { FailureReason } from './reasons.js';
import { Spool } from './spool.js';

type JsonAttribute = { vr?: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string };
type JsonDataset = Record<string, JsonAttribute>;

const PIXEL_DATA = '7FE00010';
/** Transfer syntax of a compressed pixel data part without a transfer-syntax parameter (PS3.18 Table 8.7.3-5 defaults). */
const DEFAULT_SYNTAX_OF_MEDIA: Record<string, string> = {
  'application/octet-stream': EXPLICIT_VR_LE,
  'image/jpeg': '1.2.840.10008.1.2.4.50',
  'image/jls': '1.2.840.10008.1.2.4.80',
  'image/jp2': '1.2.840.10008.1.2.4.90',
  'image/jpx': '1.2.840.10008.1.2.4.92',
  'image/dicom-rle': '1.2.840.10008.1.2.5',
  'video/mpeg': '1.2.840.10008.1.2.4.100',
  'video/mp4': '1.2.840.10008.1.2.4.102',
};
/** Identifies the gateway as the writer of converted files (PS3.10 §7.1); a fixed 2.25 UUID-derived UID. */
const IMPLEMENTATION_CLASS_UID = `2.25.${BigInt('0x6d2f3a1c8e4b4f0a9c5d7e8f1a2b3c4d').toString()}`;

interface BulkIndex {
  byLocation: Map<string, SpooledPart[]>;
  budget: { remaining: number };
}

function failure(comment: string): InstanceFailure {
  return new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, comment);
}

function indexBulk(parts: readonly SpooledPart[], maxConvertBytes: number): BulkIndex {
  const byLocation = new Map<string, SpooledPart[]>();
  const add = (key: string | undefined, part: SpooledPart) => {
    if (!key) return;
    const list = byLocation.get(key) ?? [];
    list.push(part);
    byLocation.set(key, list);
  };
  for (const part of parts) {
    add(part.headers['content-location']?.trim(), part);
    const id = part.headers['content-id']?.trim().replace(/^<|>$/g, '');
    if (id) add(`cid:${id}`, part);
  }
  return { byLocation, budget: { remaining: maxConvertBytes } };
}

async function bulkBytes(uri: string, tag: string, bulk: BulkIndex): Promise<Buffer[]> {
  const parts = bulk.byLocation.get(uri);
  if (!parts) throw failure(`BulkDataURI "${uri.slice(0, 100)}" of (${tag.slice(0, 4)},${tag.slice(4)}) names no part of the request`);
  const size = parts.reduce((n, p) => n + p.spool.size, 0);
  if (size > bulk.budget.remaining) throw new InstanceFailure(FailureReason.OUT_OF_RESOURCES, `The bulk data of this dataset is larger than the gateway converts (stow.maxConvertBytes)`);
  bulk.budget.remaining -= size;
  return Promise.all(parts.map((p) => p.spool.readAll()));
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

/** Replaces BulkDataURI and InlineBinary by values dcmjs can write, in nested sequences too. */
async function resolveBinary(dataset: JsonDataset, bulk: BulkIndex, encapsulated: boolean, depth = 0): Promise<void> {
  for (const [tag, attribute] of Object.entries(dataset)) {
    if (!attribute || typeof attribute !== 'object') throw failure(`Attribute ${tag} is not a DICOM JSON attribute object`);
    if (typeof attribute.BulkDataURI === 'string') {
      const buffers = await bulkBytes(attribute.BulkDataURI, tag, bulk);
      attribute.Value = tag === PIXEL_DATA && encapsulated ? buffers.map(toArrayBuffer) : [toArrayBuffer(Buffer.concat(buffers))];
      delete attribute.BulkDataURI;
    } else if (typeof attribute.InlineBinary === 'string') {
      attribute.Value = [toArrayBuffer(Buffer.from(attribute.InlineBinary, 'base64'))];
      delete attribute.InlineBinary;
    } else if (attribute.vr === 'SQ' && Array.isArray(attribute.Value) && depth < 16) {
      for (const item of attribute.Value) await resolveBinary(item as JsonDataset, bulk, encapsulated, depth + 1);
    }
  }
}

function firstString(dataset: JsonDataset, tag: string): string | undefined {
  const v = dataset[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
}

/** The transfer syntax: the pixel part's transfer-syntax parameter, the dataset's (0002,0010), or the media type's default. */
function syntaxOf(dataset: JsonDataset, bulk: BulkIndex): string {
  const uri = dataset[PIXEL_DATA]?.BulkDataURI;
  const media = uri ? partMediaType(bulk.byLocation.get(uri)?.[0]?.headers['content-type']) : undefined;
  const syntax = media?.params['transfer-syntax'] ?? firstString(dataset, '00020010') ?? (media ? DEFAULT_SYNTAX_OF_MEDIA[media.essence] : EXPLICIT_VR_LE);
  if (!syntax) throw new InstanceFailure(FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED, `Pixel data of media type ${media?.essence} cannot be stored`);
  return syntax;
}

function writePart10(dataset: JsonDataset, syntax: string): Buffer {
  const meta: Record<string, unknown> = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [firstString(dataset, '00080016') ?? ''] },
    '00020003': { vr: 'UI', Value: [firstString(dataset, '00080018') ?? ''] },
    '00020010': { vr: 'UI', Value: [syntax] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: ['DWGW_STOW_1'] },
  };
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = Object.fromEntries(Object.entries(dataset).filter(([tag]) => !tag.startsWith('0002')));
  try {
    return Buffer.from(dict.write({ fragmentMultiframe: false }));
  } catch (err) {
    throw new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, `The DICOM JSON dataset cannot be encoded: ${(err as Error).message}`.slice(0, 300));
  }
}

/** Reads and checks the metadata part: a JSON array of datasets. */
export async function readMetadata(parts: readonly SpooledPart[], start: string | undefined, maxBytes: number): Promise<{ datasets: JsonDataset[]; metadata: SpooledPart }> {
  const startId = start?.replace(/^<|>$/g, '');
  const metadata = (startId && parts.find((p) => p.headers['content-id']?.replace(/^<|>$/g, '') === startId)) || parts[0];
  if (!metadata || partMediaType(metadata.headers['content-type'])?.essence !== 'application/dicom+json') {
    throw new BadRequestError('STOW_NO_METADATA', 'The first part (or the part named by the start parameter) of a type="application/dicom+json" request must be application/dicom+json metadata.', { parameter: 'body' });
  }
  if (metadata.spool.size > maxBytes) throw new PayloadTooLargeError('stow.maxConvertBytes', maxBytes, `The metadata part is larger than ${formatBytes(maxBytes)} (stow.maxConvertBytes).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse((await metadata.spool.readAll()).toString('utf8'));
  } catch (err) {
    throw new BadRequestError('STOW_BAD_METADATA', `The metadata part is not valid JSON: ${(err as Error).message.slice(0, 200)}`, { parameter: 'body' });
  }
  const datasets = Array.isArray(parsed) ? parsed : [parsed];
  if (!datasets.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d))) {
    throw new BadRequestError('STOW_BAD_METADATA', 'The metadata part must be an array of DICOM JSON datasets (PS3.18 Annex F).', { parameter: 'body' });
  }
  return { datasets: datasets as JsonDataset[], metadata };
}

/** Converts one dataset to a Part 10 spool, or throws InstanceFailure. */
export async function convertDataset(dataset: JsonDataset, parts: readonly SpooledPart[], maxConvertBytes: number): Promise<Spool> {
  const bulk = indexBulk(parts, maxConvertBytes);
  const syntax = syntaxOf(dataset, bulk);
  await resolveBinary(dataset, bulk, transferSyntax(syntax)?.encapsulated ?? false);
  return Spool.ofBuffer(writePart10(dataset, syntax));
}
