// The editor beside the panel follows the walk once stepping pauses: each step hands over the job
// that moves the editor to it (reveal, decorations, the culprit), a job replaces the one still
// waiting, and the latest runs once no newer one has come for `idleMs`. A burst of steps (a held
// key, the Debug toolbar's step pressed fast) moves and redraws the editor once, at its end, instead
// of once a step: with no GPU the workbench draws and composites each such frame in software, and
// that drawing is what delayed the panel's next step (docs/testing.md, "A step in the real
// workbench"). Jobs run one at a time, in order, so the editor never shows an older step after a
// newer one. Needs no VS Code: test/unit/latest_after_idle.test.ts drives it with a fake clock.

export interface IdleTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: IdleTimer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class LatestAfterIdle {
  private pending: (() => Promise<void>) | undefined;
  private handle: unknown;
  private running: Promise<void> = Promise.resolve();
  /** Resolves the `settled` promises handed out while something waited or ran. */
  private waiters: (() => void)[] = [];
  private busy = 0;

  constructor(
    readonly idleMs: number,
    private readonly failed: (error: Error) => void,
    private readonly timer: IdleTimer = realTimer,
  ) {}

  /** Replaces the job waiting (if any) by `job`, which runs once no newer job has come for `idleMs`. */
  later(job: () => Promise<void>): void {
    if (this.handle !== undefined) this.timer.clear(this.handle);
    else this.busy++;
    this.pending = job;
    this.handle = this.timer.set(() => {
      this.handle = undefined;
      const next = this.pending!;
      this.pending = undefined;
      this.enqueue(next);
      this.busy--;
    }, this.idleMs);
  }

  /** Drops the job waiting (if any) and runs `job` after the one running: it is the latest. */
  now(job: () => Promise<void>): Promise<void> {
    this.drop();
    return this.enqueue(job);
  }

  /** Drops the job waiting, if any (the one running finishes). */
  drop(): void {
    if (this.handle === undefined) return;
    this.timer.clear(this.handle);
    this.handle = undefined;
    this.pending = undefined;
    this.busy--;
    this.wake();
  }

  /** Whether a job waits for the pause or runs. */
  get idle(): boolean {
    return this.busy === 0;
  }

  /** Resolves once no job waits or runs (the editor shows the latest step given). */
  get settled(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.busy++;
    const run = this.running.then(job).catch((error: Error) => this.failed(error)).finally(() => {
      this.busy--;
      this.wake();
    });
    this.running = run;
    return run;
  }

  private wake(): void {
    if (!this.idle) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
