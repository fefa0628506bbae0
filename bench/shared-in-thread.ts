/**
 * The shared search's own cost without threads (src/explore/packed/shared.ts, SimulatedThreads:
 * every searcher in this thread, in turn), against the single search, in one process:
 *   npx tsx bench/shared-in-thread.ts [--reps N]
 * v7, --pages all, E = 4, capped at 6,283,808 states (a level's end, where both stop having done
 * the same work), the single search and the shared one with 1 and 2 searchers alternately;
 * process.cpuUsage() (user + system, this thread and V8's helpers) a state. What the shared
 * search costs beyond the single one here is its own (keys, atomics, the numbering, the barrier
 * work), not the second thread's (a second isolate's compiler, two cores sharing caches).
 */
import { loadavg } from 'node:os';
import { PackedSearch } from '../src/explore/packed/search';
import { simulatedExplore } from '../src/explore/packed/shared';
import type { ExploreOptions } from '../src/explore/result';
import { findPreset } from '../src/kernel/variants';

const repsAt = process.argv.indexOf('--reps');
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 3;
const options: ExploreOptions = { variant: findPreset('v7')!, bound: { entries: 4, ops: 4, accesses: 2, pages: 'all' }, maxStates: 6283808 };

async function measure(name: string, run: () => Promise<{ states: number }>): Promise<void> {
  const load = loadavg()[0];
  const c0 = process.cpuUsage();
  const r = await run();
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / r.states;
  process.stdout.write(`${name}: ${r.states} states, ${us.toFixed(3)} µs a state (user ${(c.user / r.states).toFixed(3)}, system ${(c.system / r.states).toFixed(3)}), load ${load.toFixed(1)}\n`);
}

void (async () => {
  for (let i = 0; i < reps; i++) {
    await measure('single', () => { const s = new PackedSearch(options); while (!s.run(1000)); return Promise.resolve(s.result()); });
    await measure('shared, 1 searcher', async () => (await simulatedExplore(options, 1)).result);
    await measure('shared, 2 searchers', async () => (await simulatedExplore(options, 2)).result);
  }
})();
