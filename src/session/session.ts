// One walk: a scenario read under a variant, stepped forwards and backwards. The stepping rules
// (next flush, next violation, the same step under another variant) are here; no vscode import, so
// the unit tests load it. Model facts come from the core; this only moves an index.
import { nodeAt, parseJsonc, type JsonNode } from '../scenario/jsonc';
import { snapshotAt, type PanelSnapshot } from '../view/snapshot';
import { Walkthrough } from '../run/walkthrough';
import type { RunOptions } from '../run/runner';
import type { Scenario } from '../scenario/types';
import type { Step, Violation } from '../model/step';

export interface ScenarioOrigin {
  /** 'builtin' for the shipped scenarios, 'branch' for a what-if branch not saved yet (src/run/whatif.ts), else a file (its URI as a string). */
  kind: 'builtin' | 'file' | 'branch';
  /** Built-in name, the branch's scenario name, or the file's URI. */
  id: string;
  /** Shown in the panel and the status bar: "reused-partial (built-in)" or "my.scenario.json". */
  label: string;
}

/** Steps that show something at the split's flush: an issued or skipped flush. */
export function isFlushStep(s: Step): boolean {
  return s.flush !== undefined;
}

export class WalkSession {
  readonly walkthrough: Walkthrough;
  /** -1: before the first step. */
  index = -1;

  constructor(readonly scenario: Scenario, readonly origin: ScenarioOrigin, readonly options: RunOptions) {
    this.walkthrough = new Walkthrough(scenario, options);
  }

  get total(): number {
    return this.walkthrough.length;
  }

  get step(): Step | undefined {
    return this.index >= 0 ? this.walkthrough.steps[this.index] : undefined;
  }

  goTo(index: number): number {
    this.index = Math.max(-1, Math.min(this.total - 1, index));
    return this.index;
  }

  forward(): boolean {
    if (this.index >= this.total - 1) return false;
    this.index++;
    return true;
  }

  back(): boolean {
    if (this.index < 0) return false;
    this.index--;
    return true;
  }

  /** The next step after the current one that flushes or skips a flush; undefined when none is left. */
  nextFlush(): number | undefined {
    const steps = this.walkthrough.steps;
    for (let i = this.index + 1; i < steps.length; i++) if (isFlushStep(steps[i])) return i;
    return undefined;
  }

  /** The step of the next violation after the current one, else the first one; undefined when the run has none. */
  nextViolation(): number | undefined {
    const at = this.walkthrough.violations.map((v) => v.step).sort((a, b) => a - b);
    return at.find((s) => s > this.index) ?? at[0];
  }

  /**
   * The culprit to keep on screen: of the violations found up to the current step, the latest
   * whose cause is a skipped flush, with that flush's step. `here`: the violation is found at this
   * very step (the editor then reveals the culprit; later steps only keep it marked).
   */
  culprit(): { violation: Violation; skippedFlush: number; here: boolean } | undefined {
    let found: Violation | undefined;
    for (const v of this.walkthrough.violations) if (v.step <= this.index && v.skippedFlush !== undefined && (!found || v.step >= found.step)) found = v;
    return found ? { violation: found, skippedFlush: found.skippedFlush!, here: found.step === this.index } : undefined;
  }

  /**
   * The panel's snapshot at the current step, and how long the core took to compute it. The
   * webview lists at most the first 16 writes of a step; the step's writeCount says how many there were.
   */
  snapshot(now: () => number): { snapshot: PanelSnapshot; ms: number } {
    const t0 = now();
    const snapshot = snapshotAt(this.walkthrough, this.index);
    if (snapshot.step && snapshot.step.writes.length > 16) snapshot.step = { ...snapshot.step, writes: snapshot.step.writes.slice(0, 16) };
    return { snapshot, ms: now() - t0 };
  }
}

/**
 * The step of `to` that corresponds to step `index` of `from` (the same operation, statement and
 * occurrence of that statement within the operation), so that switching the variant stays at "the
 * same step" although the runs differ in length. Falls back to the same operation's last step
 * reached, then to the index clamped.
 */
export function sameStep(from: Walkthrough, index: number, to: Walkthrough): number {
  if (index < 0) return -1;
  const s = from.steps[index];
  const key = (x: Step) => `${x.kind}|${x.anchor.fn}|${x.anchor.stmt}`;
  let occurrence = 0;
  for (let i = index - 1; i >= 0 && from.steps[i].op === s.op; i--) if (key(from.steps[i]) === key(s)) occurrence++;
  let seen = 0;
  let lastOfOp = -1;
  for (let i = 0; i < to.steps.length; i++) {
    const t = to.steps[i];
    if (t.op !== s.op) {
      if (lastOfOp >= 0) break;
      continue;
    }
    lastOfOp = i;
    if (key(t) === key(s)) {
      if (seen === occurrence) return i;
      seen++;
    }
  }
  return lastOfOp >= 0 ? lastOfOp : Math.min(index, to.steps.length - 1);
}

/**
 * The entriesPerTable setting applies to scenario files that do not say `entries`: it is written
 * into the text before parsing, with the scenario reader's own parser (src/scenario/jsonc.ts), so
 * text it refuses (nesting past its guard, a broken file) is left for parseScenario to refuse with
 * a line. It goes right after the top object's brace, on that line, so no later line moves.
 */
export function withEntries(text: string, entries: number | null | undefined): string {
  if (!entries) return text;
  let tree: JsonNode;
  try {
    tree = parseJsonc(text);
  } catch {
    return text;
  }
  if (tree.type !== 'object' || nodeAt(tree, ['entries'])) return text;
  const at = tree.offset + 1;
  return `${text.slice(0, at)}"entries": ${entries}${tree.children!.length ? ', ' : ''}${text.slice(at)}`;
}
