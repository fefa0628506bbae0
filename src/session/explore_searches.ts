/**
 * The searches of one window, as the workbench's Explore view lists them (extension/explore_view.ts
 * draws them, src/view/explore_searches.ts words them): started, reported on, ended, cleared. And
 * when a running search's row may be drawn again: a search reports after every slice (every 200 ms
 * from a worker, every 50 ms on the host's own thread), and the view redraws a row at most every
 * SHOW_INTERVAL_MS, so that it reads steadily and the workbench is not asked to redraw twenty times
 * a second. No clock is read here: the caller passes its milliseconds.
 */
import type { Progress } from '../explore/progress';
import type { SearchEnd, SearchEntry } from '../view/explore_searches';

/** The least time between two redraws of one running search's row: four a second. */
export const SHOW_INTERVAL_MS = 250;

export class ExploreSearches {
  /** Newest first: the row a person just started is at the top. */
  private entries: SearchEntry[] = [];
  private nextId = 1;
  private readonly startedMs = new Map<number, number>();
  private readonly shownMs = new Map<number, number>();

  constructor(private readonly interval = SHOW_INTERVAL_MS) {}

  /** A search that starts now; its id names it from here on. */
  start(variant: string, engine: SearchEntry['engine'], bound: string, nowMs: number): SearchEntry {
    const entry: SearchEntry = { id: this.nextId++, variant, engine, bound };
    this.entries.unshift(entry);
    this.startedMs.set(entry.id, nowMs);
    return entry;
  }

  /** The search's latest progress; false when it is not running (ended, cleared, never started): a late report is dropped. */
  report(id: number, p: Progress): boolean {
    const e = this.get(id);
    if (!e || e.end) return false;
    e.progress = p;
    return true;
  }

  /** The search ended now, this way; false when it was not running. */
  finish(id: number, end: SearchEnd, nowMs: number): boolean {
    const e = this.get(id);
    if (!e || e.end) return false;
    e.end = end;
    e.seconds = (nowMs - (this.startedMs.get(id) ?? nowMs)) / 1000;
    return true;
  }

  /** The finished search's counterexample was written to this file; false when the search did not end with a violation. */
  counterexampleWritten(id: number, file: { uri: string; path: string }): boolean {
    const end = this.get(id)?.end;
    if (end?.kind !== 'violation') return false;
    end.counterexample = file;
    return true;
  }

  get(id: number): SearchEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  list(): readonly SearchEntry[] {
    return this.entries;
  }

  get hasFinished(): boolean {
    return this.entries.some((e) => e.end);
  }

  /** Forgets the searches that finished; the running ones stay. Returns how many went. */
  clearFinished(): number {
    const before = this.entries.length;
    for (const e of this.entries) {
      if (!e.end) continue;
      this.startedMs.delete(e.id);
      this.shownMs.delete(e.id);
    }
    this.entries = this.entries.filter((e) => !e.end);
    return before - this.entries.length;
  }

  /** Milliseconds until the search's row may be drawn again: 0 when it may be now (never drawn, or drawn at least the interval ago). */
  delay(id: number, nowMs: number): number {
    const last = this.shownMs.get(id);
    return last === undefined ? 0 : Math.max(0, last + this.interval - nowMs);
  }

  /** The row was drawn now. */
  shown(id: number, nowMs: number): void {
    this.shownMs.set(id, nowMs);
  }
}
