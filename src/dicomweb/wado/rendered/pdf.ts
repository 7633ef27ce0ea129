/**
 * The rendered form of an Encapsulated PDF instance is the PDF itself
 * (PS3.18 §8.7.4 Table 8.7.4-1; PS3.3 C.24.2: Encapsulated Document
 * (0042,0011), padded to even length; Encapsulated Document Length
 * (0042,0015) gives the true size when present).
 */
import { bufferSource, indexPart10, numberValue, stringValue, Part10Error } from '../../../dicom/part10/index.js';
import { CannotRenderError, NotRenderableError } from './errors.js';

const ENCAPSULATED_DOCUMENT = '00420011';

export async function extractPdf(data: Buffer): Promise<Buffer> {
  let index;
  try {
    index = await indexPart10(bufferSource(data));
  } catch (err) {
    if (err instanceof Part10Error) throw new CannotRenderError('CANNOT_DECODE_PIXELS', `The stored document cannot be parsed (${err.message}).`);
    throw err;
  }
  const mime = stringValue(index, 'MIMETypeOfEncapsulatedDocument')?.trim();
  if (mime && mime.toLowerCase() !== 'application/pdf') throw new NotRenderableError(`The instance encapsulates a "${mime}" document, not a PDF.`);
  const element = index.elements.get(ENCAPSULATED_DOCUMENT);
  if (!element || element.length <= 0) throw new CannotRenderError('NO_PIXEL_DATA', 'The Encapsulated PDF instance holds no document.');
  const declared = numberValue(index, 'EncapsulatedDocumentLength');
  const length = declared !== undefined && declared > 0 && declared <= element.length ? declared : element.length;
  return data.subarray(element.valueOffset, element.valueOffset + length);
}
