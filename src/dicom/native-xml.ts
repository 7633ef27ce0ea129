/**
 * DICOM JSON (PS3.18 Annex F) to the Native DICOM Model XML (PS3.19 Annex A),
 * the `application/dicom+xml` form of metadata and of the Store Instances
 * Response. Element by element, as PS3.19 A.1 writes them: `DicomAttribute`
 * with tag, VR, keyword (public tags) and privateCreator (private data elements);
 * values in `Value` (numbered from 1), person names as `PersonName` with
 * Alphabetic/Ideographic/Phonetic components, sequence items as `Item`, bulk data
 * as `BulkData uri=…`, inline binary as `InlineBinary` (Base64).
 */
import { lookupAttribute } from './dictionary.js';

export interface JsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type JsonDataset = Record<string, JsonAttribute>;

/** Keywords of group 0000 command elements that appear in responses but not in the data dictionary. */
const COMMAND_KEYWORDS: Record<string, string> = { '00000902': 'ErrorComment' };

const NAME_PARTS = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'] as const;
const NAME_GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;

export function escapeXml(text: string): string {
  // A literal CR would reach the reader as LF (XML end-of-line handling): it is sent as a character reference.
  return text.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!)
    // Characters XML 1.0 cannot carry at all.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '\uFFFD');
}

function isPrivate(tag: string): boolean {
  return parseInt(tag.slice(3, 4), 16) % 2 === 1;
}

/** The Private Creator of a private data element: the value of (gggg,00xx) where xx is the element's block. */
function privateCreator(tag: string, dataset: JsonDataset): string | undefined {
  const block = tag.slice(4, 6);
  if (block === '00') return undefined;
  const creator = dataset[`${tag.slice(0, 4)}00${block}`]?.Value?.[0];
  return typeof creator === 'string' ? creator : undefined;
}

function openTag(tag: string, a: JsonAttribute, dataset: JsonDataset): string {
  const creator = isPrivate(tag) ? privateCreator(tag, dataset) : undefined;
  // A private data element is named by its creator and its element number within the block
  // (gggg00ee), since the block number xx is assigned per dataset (PS3.19 A.1, as DCMTK writes it).
  const attrs = [`tag="${creator ? `${tag.slice(0, 4)}00${tag.slice(6)}` : tag}"`, `vr="${a.vr}"`];
  if (creator) {
    attrs.push(`privateCreator="${escapeXml(creator)}"`);
  } else if (!isPrivate(tag)) {
    const keyword = COMMAND_KEYWORDS[tag] ?? lookupAttribute(tag)?.keyword;
    if (keyword) attrs.push(`keyword="${keyword}"`);
  }
  return `<DicomAttribute ${attrs.join(' ')}>`;
}

function personNameXml(value: unknown, n: number, indent: string): string[] {
  const groups = (value ?? {}) as Partial<Record<(typeof NAME_GROUPS)[number], string>>;
  const out = [`${indent}<PersonName number="${n}">`];
  for (const group of NAME_GROUPS) {
    const text = groups[group];
    if (typeof text !== 'string') continue;
    const parts = text.split('^');
    out.push(`${indent}  <${group}>`);
    NAME_PARTS.forEach((part, i) => {
      if (parts[i]) out.push(`${indent}    <${part}>${escapeXml(parts[i]!)}</${part}>`);
    });
    out.push(`${indent}  </${group}>`);
  }
  out.push(`${indent}</PersonName>`);
  return out;
}

function valuesXml(a: JsonAttribute, indent: string): string[] {
  const values = a.Value ?? [];
  if (a.vr === 'SQ') {
    return values.flatMap((item, i) => [`${indent}<Item number="${i + 1}">`, ...datasetLines((item ?? {}) as JsonDataset, `${indent}  `), `${indent}</Item>`]);
  }
  if (a.vr === 'PN') return values.flatMap((v, i) => personNameXml(v, i + 1, indent));
  // A JSON null is an empty value (PS3.18 F.2.5): an empty Value element keeps its position.
  return values.map((v, i) => (v === null || v === undefined ? `${indent}<Value number="${i + 1}"/>` : `${indent}<Value number="${i + 1}">${escapeXml(String(v))}</Value>`));
}

function attributeLines(tag: string, a: JsonAttribute, dataset: JsonDataset, indent: string): string[] {
  const open = `${indent}${openTag(tag, a, dataset)}`;
  const inner = `${indent}  `;
  if (a.BulkDataURI !== undefined) return [open, `${inner}<BulkData uri="${escapeXml(a.BulkDataURI)}"/>`, `${indent}</DicomAttribute>`];
  if (a.InlineBinary !== undefined) return [open, `${inner}<InlineBinary>${a.InlineBinary}</InlineBinary>`, `${indent}</DicomAttribute>`];
  const values = valuesXml(a, inner);
  if (values.length === 0) return [`${open}</DicomAttribute>`];
  return [open, ...values, `${indent}</DicomAttribute>`];
}

function datasetLines(dataset: JsonDataset, indent: string): string[] {
  return Object.keys(dataset).sort().flatMap((tag) => attributeLines(tag, dataset[tag]!, dataset, indent));
}

/** One dataset as a Native DICOM Model document. */
export function nativeDicomXml(dataset: JsonDataset): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM" xml:space="preserve">',
    ...datasetLines(dataset, '  '),
    '</NativeDicomModel>',
    '',
  ].join('\n');
}
