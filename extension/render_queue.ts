// One rendering of the walk's views at a time. A step asked for while one renders is rendered after
// it; refreshes of every view asked for while one waits are that one (stepping fast renders the
// latest step, not each in between). Needs no VS Code: test/unit/render_queue.test.ts drives it.
export class RenderQueue<T> {
  private last: Promise<T>;
  private waiting = false;

  constructor(initial: T, private readonly failed: (error: Error) => void) {
    this.last = Promise.resolve(initial);
  }

  /** Every view: after the rendering in progress; joins a refresh already waiting. */
  all(render: () => Promise<T>): Promise<T> {
    if (this.waiting) return this.last;
    this.waiting = true;
    const run = () => {
      this.waiting = false;
      return render();
    };
    this.last = this.last.then(run, run);
    this.last.catch((error: Error) => this.failed(error));
    return this.last;
  }

  /** One view (it just showed, or came back): after the rendering in progress, never joined. */
  one(render: () => Promise<T>): Promise<T> {
    this.last = this.last.then(render, render);
    return this.last;
  }

  /** Resolves when the last rendering asked for is done. */
  get settled(): Promise<T> {
    return this.last;
  }
}
