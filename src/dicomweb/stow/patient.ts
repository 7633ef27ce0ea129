/**
 * Patient identity of an instance and of a study in the archive, compared for
 * the "patient must match the existing study" policy: PatientID (0010,0020),
 * PatientName (0010,0010), PatientBirthDate (0010,0030).
 */
import { stringValue, type ByteSource, type Part10Index } from '../../dicom/part10/index.js';

export interface PatientIdentity {
  id?: string;
  /** Alphabetic PN group (PS3.5 §6.2.1); undefined when absent or in a character set the gateway does not decode. */
  name?: string;
  birthDate?: string;
}

/** Decodes PatientName from its raw bytes per Specific Character Set (0008,0005); only single-byte Latin-1 and UTF-8. */
async function patientName(index: Part10Index, source: ByteSource): Promise<string | undefined> {
  const element = index.elements.get('00100010');
  if (!element || element.length <= 0 || element.length > 4096) return undefined;
  const raw = await source.read(element.valueOffset, element.length);
  const ascii = raw.every((b) => b < 0x80);
  const charset = stringValue(index, 'SpecificCharacterSet') ?? '';
  let text: string | undefined;
  if (ascii) text = raw.toString('latin1');
  else if (charset === 'ISO_IR 192') text = raw.toString('utf8');
  else if (charset === 'ISO_IR 100') text = raw.toString('latin1');
  return text?.replace(/[\0 ]+$/, '');
}

export async function instancePatient(index: Part10Index, source: ByteSource): Promise<PatientIdentity> {
  const id = stringValue(index, 'PatientID');
  const birthDate = stringValue(index, 'PatientBirthDate');
  const name = await patientName(index, source);
  return { ...(id !== undefined && { id }), ...(name !== undefined && { name }), ...(birthDate !== undefined && { birthDate }) };
}

/** Alphabetic group, components trimmed, trailing empty components dropped, case-folded. */
export function normalizeName(pn: string): string {
  const alphabetic = pn.split('=')[0] ?? '';
  const parts = alphabetic.split('^').map((p) => p.trim().replace(/\s+/g, ' '));
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('^').toLocaleUpperCase('en');
}

/**
 * The first attribute that differs, or undefined when they match. An attribute
 * empty on the archive's side is not compared (unknown there); PatientID is
 * always compared.
 */
export function patientDifference(instance: PatientIdentity, archive: PatientIdentity): string | undefined {
  const a = (instance.id ?? '').trim();
  const b = (archive.id ?? '').trim();
  if (a !== b) return `PatientID (0010,0020) "${a}" differs from "${b}" of the study in the archive`;
  if (archive.name && instance.name !== undefined && normalizeName(instance.name) !== normalizeName(archive.name)) {
    return `PatientName (0010,0010) "${instance.name}" differs from "${archive.name}" of the study in the archive`;
  }
  if (archive.birthDate && (instance.birthDate ?? '') !== archive.birthDate) {
    return `PatientBirthDate (0010,0030) "${instance.birthDate ?? ''}" differs from "${archive.birthDate}" of the study in the archive`;
  }
  return undefined;
}
