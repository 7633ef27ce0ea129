// Everything a benchmark starts is registered here and stopped in reverse
// order: at the end of the run, on an error, and on Ctrl-C / SIGTERM. Child
// processes are stopped by their own PID only.

type StopFn = () => Promise<void>;

interface Entry {
  name: string;
  stop: StopFn;
  /** PID to SIGKILL if the bench process exits before stop() ran. */
  pid?: number;
}

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export class Cleanup {
  private readonly entries: Entry[] = [];
  private running: Promise<void> | undefined;
  /** Set once SIGINT/SIGTERM arrived: errors after that are the shutdown's doing. */
  interrupted = false;

  constructor() {
    // `on`, not `once`: Ctrl-C reaches us twice (from the terminal and relayed
    // by tsx), and a second signal without a listener would kill us mid-cleanup.
    for (const signal of Object.keys(SIGNAL_EXIT_CODES)) {
      process.on(signal, () => void this.onSignal(signal));
    }
    // Last resort if something calls process.exit() mid-run: no child outlives us.
    process.once('exit', () => this.killRemaining());
  }

  add(name: string, stop: StopFn, pid?: number): void {
    this.entries.push({ name, stop, pid });
  }

  /** Stops everything registered so far, newest first; errors are printed, not thrown. */
  runAll(): Promise<void> {
    this.running ??= this.stopAll();
    return this.running;
  }

  private async stopAll(): Promise<void> {
    while (this.entries.length > 0) {
      const entry = this.entries.pop()!;
      try {
        await entry.stop();
      } catch (err) {
        process.stderr.write(`cleanup: stopping ${entry.name} failed: ${(err as Error).message}\n`);
      }
    }
  }

  private async onSignal(signal: string): Promise<void> {
    if (this.interrupted) return; // already stopping
    this.interrupted = true;
    process.stderr.write(`\n${signal}: stopping everything the benchmark started...\n`);
    const timer = setTimeout(() => process.exit(SIGNAL_EXIT_CODES[signal]), 15_000);
    timer.unref();
    await this.runAll();
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }

  private killRemaining(): void {
    for (const entry of this.entries) {
      if (entry.pid === undefined) continue;
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
