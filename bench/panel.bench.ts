/**
 * Benchmarks of the panel's view model: snapshotAt() at every step of a walk at 512 entries a
 * table, stepping forward through the whole run and then backward (stepping back replays from a
 * checkpoint, so it should cost what stepping forward does). The webview's own render time is
 * measured in the webview (performance.now around the render) and logged by the integration tests
 * in test-artifacts/logs/integration-<host>-timings.log.
 */
import { builtinScenario } from '../src/scenario/builtins';
import { Walkthrough } from '../src/run/walkthrough';
import { findPreset } from '../src/kernel/variants';
import { snapshotAt } from '../src/view/snapshot';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { medianMs: r(s[Math.floor(s.length / 2)]), p95Ms: r(s[Math.floor(s.length * 0.95)]), maxMs: r(s[s.length - 1]), steps: s.length };
}

function walk(name: string, preset: string) {
  const t0 = performance.now();
  const w = new Walkthrough(builtinScenario(name)!, { variant: findPreset(preset)! });
  const buildMs = Math.round((performance.now() - t0) * 10) / 10;
  const time = (i: number) => {
    const a = performance.now();
    snapshotAt(w, i);
    return performance.now() - a;
  };
  const forward: number[] = [];
  for (let i = -1; i < w.length; i++) forward.push(time(i));
  const backward: number[] = [];
  for (let i = w.length - 1; i >= -1; i--) backward.push(time(i));
  const bytes = JSON.stringify(snapshotAt(w, w.length - 1)).length;
  return { entries: w.scenario.entries, steps: w.length, walkthroughBuildMs: buildMs, forward: stats(forward), backward: stats(backward), lastSnapshotJsonBytes: bytes };
}

export function benchPanel(quick: boolean) {
  const out: Record<string, unknown> = {
    'snapshot-reused-partial-never-flush': walk('reused-partial', 'never-flush'),
    'snapshot-reused-partial-v7': walk('reused-partial', 'v7'),
  };
  if (!quick) out['snapshot-common-1g-v7'] = walk('common-1g', 'v7');
  out.note = 'snapshotAt(w, i) for every step, forward then backward, at 512 entries a table; the webview render time is in the integration logs';
  return out;
}
