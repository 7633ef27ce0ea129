/**
 * The request media types of the Store transaction (PS3.18 §10.5.1, §10.5.4,
 * §8.6.1.2): `multipart/related; type="application/dicom"` (one Part 10
 * instance per part), `multipart/related; type="application/dicom+json"`
 * (metadata + bulk data parts), and, as a convenience, a single
 * `application/dicom` body. Parameters may be quoted or not, in any order.
 */
import { parseMediaType } from '../../http/accept.js';
import { BadRequestError } from '../../http/errors.js';
import { UnsupportedMediaTypeError } from './errors.js';

export type StowForm = 'dicom' | 'json';

export type StowBody =
  | { kind: 'multipart'; form: StowForm; boundary: string; start?: string }
  | { kind: 'single' };

export const SUPPORTED_REQUEST_TYPES = [
  'multipart/related; type="application/dicom"',
  'multipart/related; type="application/dicom+json"',
  'application/dicom',
] as const;

const FORMS: Record<string, StowForm> = { 'application/dicom': 'dicom', 'application/dicom+json': 'json' };

function unsupported(detail: string): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(`${detail} STOW-RS takes ${SUPPORTED_REQUEST_TYPES.join(', or ')}.`, SUPPORTED_REQUEST_TYPES);
}

export function parseStowContentType(header: string | undefined): StowBody {
  if (!header) throw unsupported('The request has no Content-Type.');
  const media = parseMediaType(header);
  if (!media) throw unsupported(`Content-Type "${header.slice(0, 100)}" is not a media type.`);
  const essence = `${media.type}/${media.subtype}`;
  if (essence === 'application/dicom') return { kind: 'single' };
  if (essence !== 'multipart/related') throw unsupported(`Content-Type ${essence} is not supported.`);
  // PS3.18 §8.6.1.2 requires the type parameter; a client that omits it gets the Part 10 form.
  const type = (media.params.type ?? 'application/dicom').toLowerCase();
  const form = FORMS[type];
  if (!form) {
    const hint = type === 'application/dicom+xml' ? ' The XML metadata form is not supported; send Part 10 instances or DICOM JSON metadata.' : '';
    throw unsupported(`multipart/related with type="${type.slice(0, 100)}" is not supported.${hint}`);
  }
  const boundary = media.params.boundary;
  if (!boundary) throw new BadRequestError('MULTIPART_NO_BOUNDARY', 'The multipart/related Content-Type has no boundary parameter.', { parameter: 'Content-Type' });
  if (boundary.length > 70) throw new BadRequestError('MULTIPART_BAD_BOUNDARY', 'The multipart boundary is longer than 70 characters (RFC 2046 §5.1.1).', { parameter: 'Content-Type' });
  return { kind: 'multipart', form, boundary, ...(media.params.start ? { start: media.params.start } : {}) };
}

/** Media type of one part, lower-cased essence and parameters. */
export function partMediaType(contentType: string | undefined): { essence: string; params: Record<string, string> } | undefined {
  if (!contentType) return undefined;
  const media = parseMediaType(contentType);
  return media ? { essence: `${media.type}/${media.subtype}`, params: media.params } : undefined;
}
