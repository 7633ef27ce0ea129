/**
 * Why a byte stream is not a usable DICOM Part 10 file (PS3.10 §7). Codes are
 * stable: STOW-RS maps them to failure reasons, WADO to 4xx/502 answers.
 */
export type Part10ErrorCode =
  | 'NOT_PART10' // no "DICM" prefix after the preamble
  | 'META_MISSING' // no File Meta Information group
  | 'META_MISSING_TRANSFER_SYNTAX'
  | 'DEFLATED' // dataset is deflated; inflate it first (walker option assumeInflated)
  | 'MALFORMED_ELEMENT' // an element header that cannot be read (bad VR, bad length, bad item)
  | 'TRUNCATED' // a value or sequence runs past the end of the data
  | 'TOO_DEEP'; // sequences nested deeper than any real dataset

export class Part10Error extends Error {
  constructor(readonly code: Part10ErrorCode, message: string, readonly offset?: number) {
    super(message);
    this.name = 'Part10Error';
  }
}
