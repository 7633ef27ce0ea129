/**
 * Request-level STOW-RS errors (PS3.18 §10.5.3.1 Table 10.5.3-1 and §8.5):
 * the whole request is refused before (or without) any instance being stored.
 * Per-instance problems are not errors: they become Failed SOP Sequence items.
 */
import { GatewayError } from '../../http/errors.js';

/** 413: a configured size or count limit was exceeded; `limit` names the config key. */
export class PayloadTooLargeError extends GatewayError {
  constructor(readonly limit: string, readonly maximum: number, detail: string) {
    super(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', detail, { limit, maximum });
  }
}

/** 415: the request's Content-Type is not a STOW-RS media type the gateway takes (PS3.18 §10.5.4). */
export class UnsupportedMediaTypeError extends GatewayError {
  constructor(detail: string, readonly supported: readonly string[]) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', detail, { supported: [...supported] });
  }
}

/** Human-readable byte counts for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
