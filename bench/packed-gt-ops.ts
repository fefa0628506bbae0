/**
 * The guest-tables packed engine's stage 3d transitions against the core's, on the same work
 * (docs/explorer.md, "Stage 3d"): the (state, action) pairs of a core search whose action is a
 * trapped write's start, an invalidation's start, or a STEP or RESUME of a write or invalidation
 * frame, each applied by both engines from the same node and its words (no canonical key in
 * either), rounds alternating in one process, CPU time. Bundle it first (as the other benches):
 *   npx esbuild bench/packed-gt-ops.ts --bundle --platform=node --outfile=/tmp/packed-gt-ops.js
 *   nice -n 19 node /tmp/packed-gt-ops.js
 */
import { apply, candidateActions, RESUME_BASE, rootNode, STEP, type Node } from '../src/explore/model';
import { canonicalKey } from '../src/explore/canon';
import { makeScope } from '../src/explore/scope';
import { abstractGtRaw } from '../src/explore/packed_gt/abstraction';
import { PackedGtModel } from '../src/explore/packed_gt/model';
import { findPreset } from '../src/kernel/variants';

const variant = findPreset('mainline-2026')!;
const scope = makeScope({ entries: 2, ops: 3, accesses: 2, scope: 'guest-tables', writes: 'both' });
const pm = new PackedGtModel(scope, variant);
const L = pm.L;
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

interface Pair { n: Node; from: Uint8Array; a: number; p: number }
const pairs: Pair[] = [];
// The core's breadth-first search, its states kept.
const seen = new Set<string>([canonicalKey(rootNode(scope))]);
let frontier = [rootNode(scope)];
while (frontier.length) {
  const next: Node[] = [];
  for (const n of frontier) {
    const from = abstractGtRaw(L, n);
    for (const a of candidateActions(scope, n)) {
      const f = a === STEP ? n.current : a <= RESUME_BASE ? n.paused[RESUME_BASE - a] : null;
      const m = a >= 0 ? scope.menu[a] : null;
      const ours = f ? f.kind === 'guest-table-write' || f.kind === 'invalidate' : (m!.t === 'guest-table-write' && m!.by === 'guest') || m!.t === 'invalidate';
      let p = a;
      if (a <= RESUME_BASE) {
        const i = RESUME_BASE - a;
        const others = n.paused.filter((_, k) => k !== i);
        const moved = abstractGtRaw(L, { ...n, current: n.paused[i], paused: n.current ? [...others, n.current] : others });
        const want = text(moved.subarray(L.cur, L.cur + L.fs));
        for (let j = 0; j < from[L.npaused]; j++) if (text(from.subarray(L.paused + j * L.fs, L.paused + (j + 1) * L.fs)) === want) p = RESUME_BASE - j;
      }
      const o = apply(scope, variant, n, a);
      if (ours && o) pairs.push({ n, from, a, p });
      if (!o || o.violations.length) continue;
      const k = canonicalKey(o.node);
      if (!seen.has(k)) { seen.add(k); next.push(o.node); }
    }
  }
  frontier = next;
}
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
console.log(`${seen.size} states, ${pairs.length} pairs (enabled in the core)`);
for (let round = 0; round < 5; round++) {
  let t = cpu();
  for (const x of pairs) apply(scope, variant, x.n, x.a);
  const core = cpu() - t;
  t = cpu();
  for (const x of pairs) if (pm.apply(x.from, x.p) !== true) throw new Error('packed refused a pair');
  const packed = cpu() - t;
  console.log(`round ${round}: core ${(core * 1e3 / pairs.length).toFixed(2)} µs, packed ${(packed * 1e3 / pairs.length).toFixed(2)} µs each`);
}
