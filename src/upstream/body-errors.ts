/**
 * Failures met while reading an upstream body after its headers arrived, and
 * the retries that are safe for them: the test upstream (Orthanc) now and then
 * drops a connection mid-body under concurrent load; while nothing reached the
 * client yet, asking a GET again is invisible and usually succeeds.
 */
import { GatewayError, UpstreamFailureError } from '../http/errors.js';
import { isAbortError, mapTransportError } from './errors.js';

/**
 * An error met while reading an upstream body, as the client should see it:
 * socket failures become 502/504, a body that is not what was announced is the
 * archive's fault (502); the gateway's own disk errors stay internal. `keep`
 * names the caller's own errors (e.g. a size limit) that pass through unchanged.
 */
export function upstreamBodyError(err: unknown, upstreamName: string, keep: (err: unknown) => boolean = () => false): unknown {
  if (err instanceof GatewayError || keep(err) || isAbortError(err)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNRESET|EPIPE|ETIMEDOUT|UND_ERR_[A-Z_]+)$/.test(code)) return mapTransportError(err, upstreamName);
  if (typeof code === 'string' && code.startsWith('E')) return err;
  return new UpstreamFailureError(upstreamName, `sent an answer that cannot be read (${(err as Error)?.message ?? String(err)}).`, 502, 'UPSTREAM_BAD_RESPONSE');
}

/**
 * The upstream dropped the connection in the middle of a body. The test upstream
 * does so now and then under concurrent transcoding; while nothing reached the
 * client yet, asking again once is safe (GET) and usually succeeds.
 */
export function isSocketDrop(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** Tries of one request whose body was cut before anything reached the client. */
const SOCKET_DROP_TRIES = 3;

/** Runs `attempt`; on a socket drop (and no abort) runs it again, a few times; maps what remains for the client. */
export async function askAgainOnSocketDrop<T>(attempt: () => Promise<T>, signal: AbortSignal, upstreamName: string, keep?: (err: unknown) => boolean): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries < SOCKET_DROP_TRIES && isSocketDrop(err) && !signal.aborted) continue;
      throw upstreamBodyError(err, upstreamName, keep);
    }
  }
}

/**
 * Cancels a body the gateway will not read. An error listener goes first: a
 * destroyed undici body may still emit an abort error, and an 'error' event with
 * no listener would end the process.
 */
export function discardBody(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}
