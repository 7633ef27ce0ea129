/**
 * Accept negotiation for Rendered and Thumbnail resources (PS3.18 §8.7.4,
 * §10.4.1.1.3-4). Images are offered as JPEG (the default, §8.7.4 Table
 * 8.7.4-1), PNG, WebP and GIF; resources made of several images (study,
 * series, frame lists) are answered as multipart/related with one image per
 * part (§8.6), and a bare image type in Accept is read as the part type.
 * Encapsulated PDF instances are offered as application/pdf.
 */
import { parseAccept, type MediaRange } from '../../../http/accept.js';
import { NotAcceptableError } from '../../../http/errors.js';

export const RENDERED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export type RenderedImageType = (typeof RENDERED_IMAGE_TYPES)[number];
export const DEFAULT_IMAGE_TYPE: RenderedImageType = 'image/jpeg';
export const PDF_TYPE = 'application/pdf';

export interface RenderedChoice {
  imageType: RenderedImageType;
  /** multipart/related of `imageType` parts. */
  multipart: boolean;
}

export interface RenderedNegotiation {
  image?: RenderedChoice;
  /** The client accepts application/pdf (for Encapsulated PDF instances). */
  pdf: boolean;
}

function imageTypeOf(essence: string): RenderedImageType | undefined {
  if (essence === 'image/*' || essence === '*/*') return DEFAULT_IMAGE_TYPE;
  return (RENDERED_IMAGE_TYPES as readonly string[]).includes(essence) ? (essence as RenderedImageType) : undefined;
}

function choiceFor(range: MediaRange, many: boolean): RenderedChoice | undefined {
  const essence = `${range.type}/${range.subtype}`;
  if (essence === 'multipart/related' || essence === 'multipart/*') {
    const partType = imageTypeOf((range.params.type ?? DEFAULT_IMAGE_TYPE).toLowerCase());
    return partType ? { imageType: partType, multipart: true } : undefined;
  }
  const imageType = imageTypeOf(essence);
  return imageType ? { imageType, multipart: many } : undefined;
}

/** Picks the client's most preferred acceptable form (ranges are in q order, then header order). */
export function negotiateRendered(accept: string | undefined, many: boolean): RenderedNegotiation {
  const ranges = parseAccept(accept);
  let image: RenderedChoice | undefined;
  for (const range of ranges) {
    image = choiceFor(range, many);
    if (image) break;
  }
  const pdf = ranges.some((r) => (r.type === '*' || r.type === 'application') && (r.subtype === '*' || r.subtype === 'pdf'));
  return { pdf, ...(image ? { image } : {}) };
}

export function supportedRenderedTypes(many: boolean): string[] {
  const multipart = RENDERED_IMAGE_TYPES.map((t) => `multipart/related; type="${t}"`);
  return many ? multipart : [...RENDERED_IMAGE_TYPES, ...multipart, `${PDF_TYPE} (Encapsulated PDF instances)`];
}

export function notAcceptable(accept: string | undefined, many: boolean): NotAcceptableError {
  const supported = supportedRenderedTypes(many);
  return new NotAcceptableError(`Rendered resources are available as ${supported.join(', ')}; the Accept "${(accept ?? '').slice(0, 200)}" allows none of them.`, supported);
}
