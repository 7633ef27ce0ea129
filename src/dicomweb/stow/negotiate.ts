/**
 * Response media type of the Store transaction (PS3.18 §10.5.3, §10.5.4):
 * DICOM JSON by default, XML (PS3.19 Native DICOM Model) when asked for.
 */
import { parseAccept, rangeMatches, type MediaRange } from '../../http/accept.js';
import { NotAcceptableError } from '../../http/errors.js';

export type StoreResponseType = 'application/dicom+json' | 'application/dicom+xml';

const SUPPORTED = ['application/dicom+json', 'application/json', 'application/dicom+xml', 'multipart/related; type="application/dicom+xml"'];

function typeOfRange(range: MediaRange): StoreResponseType | undefined {
  if (range.type === 'multipart' && range.subtype === 'related') return range.params.type === 'application/dicom+xml' ? 'application/dicom+xml' : undefined;
  if (rangeMatches(range, 'application', 'dicom+json') || rangeMatches(range, 'application', 'json')) return 'application/dicom+json';
  if (rangeMatches(range, 'application', 'dicom+xml') || (range.type === 'application' && range.subtype === 'xml')) return 'application/dicom+xml';
  return undefined;
}

/** Ranges are sorted by quality: the first one the gateway can produce wins. */
export function negotiateStoreResponse(accept: string | undefined): StoreResponseType {
  for (const range of parseAccept(accept)) {
    const type = typeOfRange(range);
    if (type) return type;
  }
  throw new NotAcceptableError('The Store transaction answers in application/dicom+json or application/dicom+xml; the Accept header allows neither.', SUPPORTED);
}
