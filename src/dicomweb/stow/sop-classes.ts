/**
 * Named groups of Storage SOP Classes (PS3.4 Annex B.5, Table B.5-1) that a
 * STOW-RS policy may allow by name, e.g. an AI route that may store only
 * results: ["SR", "SEG", "SC", "GSPS", "KO"].
 */
const SR_PREFIX = '1.2.840.10008.5.1.4.1.1.88.';

export const SOP_CLASS_GROUPS = {
  /** Structured Reports of every template family (88.x), except Key Objects. */
  SR: ['11', '22', '33', '34', '35', '40', '50', '65', '67', '68', '69', '70', '71', '72', '73', '74', '75', '76'].map((s) => SR_PREFIX + s),
  /** Key Object Selection Document. */
  KO: [`${SR_PREFIX}59`],
  /** Segmentation, Surface Segmentation, Label Map Segmentation. */
  SEG: ['1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.66.5', '1.2.840.10008.5.1.4.1.1.66.7'],
  /** Secondary Capture, single and multi-frame. */
  SC: ['1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.7.1', '1.2.840.10008.5.1.4.1.1.7.2', '1.2.840.10008.5.1.4.1.1.7.3', '1.2.840.10008.5.1.4.1.1.7.4'],
  /** Grayscale Softcopy Presentation State. */
  GSPS: ['1.2.840.10008.5.1.4.1.1.11.1'],
  /** Every Presentation State SOP Class (11.x). */
  PR: Array.from({ length: 12 }, (_, i) => `1.2.840.10008.5.1.4.1.1.11.${i + 1}`),
  /** Encapsulated PDF. */
  PDF: ['1.2.840.10008.5.1.4.1.1.104.1'],
} as const satisfies Record<string, readonly string[]>;

export type SopClassGroup = keyof typeof SOP_CLASS_GROUPS;

export const SOP_CLASS_GROUP_NAMES = Object.keys(SOP_CLASS_GROUPS) as [SopClassGroup, ...SopClassGroup[]];

/** SOP Classes that are not storable composite instances (PS3.10 Media Storage Directory). */
export const NOT_STORABLE: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.3.10', 'a DICOMDIR (Media Storage Directory) is not a storable instance'],
]);

/** Expands group names and UIDs into one set of SOP Class UIDs. */
export function expandSopClasses(entries: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) {
    const group = (SOP_CLASS_GROUPS as Record<string, readonly string[]>)[entry];
    for (const uid of group ?? [entry]) out.add(uid);
  }
  return out;
}
