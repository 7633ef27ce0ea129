/**
 * Transfer syntaxes the gateway knows (PS3.5 §10, PS3.6 Annex A), and the
 * media types PS3.18 Table 8.7.3-? pairs with their compressed bulk data.
 */
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  /** Pixel data is encapsulated (compressed, fragments). */
  encapsulated: boolean;
  /** Media type of one frame's bytes when sent in its compressed form (PS3.18 §8.7.3.3.2). */
  frameMediaType: string;
}

const TABLE: TransferSyntaxInfo[] = [
  { uid: IMPLICIT_VR_LE, name: 'Implicit VR Little Endian', encapsulated: false, frameMediaType: 'application/octet-stream' },
  { uid: EXPLICIT_VR_LE, name: 'Explicit VR Little Endian', encapsulated: false, frameMediaType: 'application/octet-stream' },
  { uid: DEFLATED_EXPLICIT_VR_LE, name: 'Deflated Explicit VR Little Endian', encapsulated: false, frameMediaType: 'application/octet-stream' },
  { uid: EXPLICIT_VR_BE, name: 'Explicit VR Big Endian (retired)', encapsulated: false, frameMediaType: 'application/octet-stream' },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', encapsulated: true, frameMediaType: 'image/jpeg' },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', encapsulated: true, frameMediaType: 'image/jpeg' },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless (Process 14)', encapsulated: true, frameMediaType: 'image/jpeg' },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless SV1', encapsulated: true, frameMediaType: 'image/jpeg' },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', encapsulated: true, frameMediaType: 'image/jls' },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', encapsulated: true, frameMediaType: 'image/jls' },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 (Lossless Only)', encapsulated: true, frameMediaType: 'image/jp2' },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', encapsulated: true, frameMediaType: 'image/jp2' },
  { uid: '1.2.840.10008.1.2.4.92', name: 'JPEG 2000 Part 2 (Lossless Only)', encapsulated: true, frameMediaType: 'image/jpx' },
  { uid: '1.2.840.10008.1.2.4.93', name: 'JPEG 2000 Part 2', encapsulated: true, frameMediaType: 'image/jpx' },
  { uid: '1.2.840.10008.1.2.4.201', name: 'HTJ2K (Lossless Only)', encapsulated: true, frameMediaType: 'image/jphc' },
  { uid: '1.2.840.10008.1.2.4.202', name: 'HTJ2K (Lossless RPCL)', encapsulated: true, frameMediaType: 'image/jphc' },
  { uid: '1.2.840.10008.1.2.4.203', name: 'HTJ2K', encapsulated: true, frameMediaType: 'image/jphc' },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', encapsulated: true, frameMediaType: 'image/dicom-rle' },
  { uid: '1.2.840.10008.1.2.4.100', name: 'MPEG2 Main Profile', encapsulated: true, frameMediaType: 'video/mpeg' },
  { uid: '1.2.840.10008.1.2.4.102', name: 'MPEG-4 AVC/H.264', encapsulated: true, frameMediaType: 'video/mp4' },
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

export function transferSyntax(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid);
}

export function knownTransferSyntaxes(): readonly TransferSyntaxInfo[] {
  return TABLE;
}
