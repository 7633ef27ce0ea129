/**
 * At most `upstream.connections` sockets of the bulk transport at once; the
 * other requests wait in order, as they did in node:http's agent (maxSockets).
 * A wait ends with the caller's abort, or as a headers time-out: to the
 * caller, a PACS that has no connection free is one that does not answer yet.
 */
import { abortReason, codedError } from '../errors.js';

interface Waiter {
  grant(): void;
}

export class SocketGate {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves when a socket may be opened; release() once it has closed. */
  acquire(signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const leave = (err: Error) => {
        const at = this.queue.indexOf(waiter);
        if (at !== -1) this.queue.splice(at, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => leave(abortReason(signal!));
      const timer = setTimeout(() => leave(codedError('UND_ERR_HEADERS_TIMEOUT', 'upstream headers timeout (no connection free)')), timeoutMs);
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  release(): void {
    this.active--;
    this.queue.shift()?.grant();
  }

  /** Sockets open and requests waiting (for tests and status). */
  get counts(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.queue.length };
  }
}
