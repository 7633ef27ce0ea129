/**
 * Which instances can be rendered as images (PS3.18 §8.7.4 Table 8.7.4-1:
 * single and multi-frame images → image types; Encapsulated PDF →
 * application/pdf; Structured Reports → text, not offered here), from the SOP
 * Class UID (PS3.4 Annex B.5) or, for whole series, the Modality.
 */
export type SopKind = 'image' | 'pdf' | 'document' | 'sr' | 'presentation' | 'waveform' | 'non-image';

const PREFIX = '1.2.840.10008.5.1.4.1.1.';

/** Storage classes under 1.2.840.10008.5.1.4.1.1. that hold no pixel data. */
const NON_IMAGE_SUFFIXES = new Set([
  '66', '66.1', '66.2', '66.3', '66.5', '66.6', // raw data, registrations, fiducials, surface segmentation, tractography
  '481.3', '481.4', '481.5', '481.6', '481.7', '481.8', '481.9', '481.10', '481.11', // RT structure set, records, plans
  '68.1', '68.2', '200.1', '200.2', // surface scans, CT/XA defined procedure protocols
]);

export function sopKind(sopClassUid: string | undefined): SopKind {
  if (!sopClassUid || !sopClassUid.startsWith(PREFIX)) return 'image';
  const suffix = sopClassUid.slice(PREFIX.length);
  if (suffix === '104.1') return 'pdf';
  if (suffix.startsWith('104.')) return 'document';
  if (suffix.startsWith('88.')) return 'sr';
  if (suffix.startsWith('11.')) return 'presentation';
  if (suffix.startsWith('9.')) return 'waveform';
  return NON_IMAGE_SUFFIXES.has(suffix) ? 'non-image' : 'image';
}

export const SOP_KIND_LABEL: Record<SopKind, string> = {
  image: 'an image',
  pdf: 'an Encapsulated PDF document',
  document: 'an encapsulated document (not PDF)',
  sr: 'a Structured Report',
  presentation: 'a Presentation State',
  waveform: 'a waveform (e.g. ECG)',
  'non-image': 'a non-image object',
};

/** Series of these modalities never hold images to show as a study's thumbnail. */
const NON_IMAGE_MODALITIES = new Set(['SR', 'PR', 'KO', 'DOC', 'ECG', 'HD', 'RTSTRUCT', 'RTPLAN', 'RTRECORD', 'REG', 'FID', 'AU', 'PLAN']);

export function isImageModality(modality: string | undefined): boolean {
  return modality === undefined || !NON_IMAGE_MODALITIES.has(modality.toUpperCase());
}
