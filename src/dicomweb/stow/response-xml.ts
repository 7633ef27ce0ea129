/**
 * The Store Instances Response Module as XML (PS3.19 Annex A Native DICOM
 * Model, application/dicom+xml), for clients that ask for it (PS3.18 §10.5.3).
 */
import { nativeDicomXml, type JsonDataset } from '../../dicom/native-xml.js';
import type { DicomJsonDataset } from './response.js';

export function storeResponseXml(dataset: DicomJsonDataset): string {
  return nativeDicomXml(dataset as JsonDataset);
}
