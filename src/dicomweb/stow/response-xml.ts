/**
 * The Store Instances Response Module as XML (PS3.19 Annex A Native DICOM
 * Model, application/dicom+xml), for clients that ask for it (PS3.18 §10.5.3).
 */
import { lookupAttribute } from '../../dicom/dictionary.js';
import type { DicomJsonAttribute, DicomJsonDataset } from './response.js';

const KEYWORDS: Record<string, string> = { '00000902': 'ErrorComment' };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // Characters XML 1.0 cannot carry at all.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '\uFFFD');
}

function keyword(tag: string): string {
  return KEYWORDS[tag] ?? lookupAttribute(tag)?.keyword ?? tag;
}

function attributeXml(tag: string, a: DicomJsonAttribute, indent: string): string[] {
  const open = `${indent}<DicomAttribute tag="${tag}" vr="${a.vr}" keyword="${keyword(tag)}">`;
  const values = a.Value ?? [];
  if (values.length === 0) return [`${open}</DicomAttribute>`];
  const inner = a.vr === 'SQ'
    ? values.flatMap((item, i) => [`${indent}  <Item number="${i + 1}">`, ...datasetXml(item as DicomJsonDataset, `${indent}    `), `${indent}  </Item>`])
    : values.map((v, i) => `${indent}  <Value number="${i + 1}">${escapeXml(String(v))}</Value>`);
  return [open, ...inner, `${indent}</DicomAttribute>`];
}

function datasetXml(dataset: DicomJsonDataset, indent: string): string[] {
  return Object.keys(dataset).sort().flatMap((tag) => attributeXml(tag, dataset[tag]!, indent));
}

export function storeResponseXml(dataset: DicomJsonDataset): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">',
    ...datasetXml(dataset, '  '),
    '</NativeDicomModel>',
    '',
  ].join('\n');
}
