/**
 * Random scenarios in the explorer's small scope, for property tests: E = 4, one 64-page memslot
 * on "1G" (16-page) host pages, roots A and B aliasing gfns 16..31 (and A also mapping 32..47
 * alone), two vCPUs, and a random list of operations drawn from what the model knows.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Scenario, ScenarioOp } from '../../src/scenario/types';
import { SCENARIO_CHECKS } from '../../src/scenario/checks';
import { ScenarioRunError } from '../../src/run/runner';

const opArb: fc.Arbitrary<ScenarioOp> = fc.oneof(
  fc.record({ vcpu: fc.integer({ min: 0, max: 1 }), root: fc.constantFrom('A', 'B'), off: fc.integer({ min: 0, max: 15 }), kind: fc.constantFrom('read' as const, 'write' as const) })
    .map(({ vcpu, root, off, kind }) => ({ op: 'access' as const, vcpu, root, addr: (root === 'A' ? 0 : 16) + off, kind })),
  // A's own region (gfns 32..47), mapped only through A.
  fc.record({ vcpu: fc.integer({ min: 0, max: 1 }), off: fc.integer({ min: 0, max: 15 }) })
    .map(({ vcpu, off }) => ({ op: 'access' as const, vcpu, root: 'A', addr: 16 + off, kind: 'write' as const })),
  fc.record({ except: fc.uniqueArray(fc.integer({ min: 16, max: 47 }), { maxLength: 3 }), pause: fc.boolean() })
    .map(({ except, pause }) => ({ op: 'clear-dirty-log' as const, slot: 0, first: 0, gfns: range(0, 64).filter((g) => !except.includes(g)), ...(pause ? { pause: 'unlock' as const } : {}) })),
  fc.constant({ op: 'get-dirty-log' as const, slot: 0 }),
  fc.record({ gfn: fc.integer({ min: 16, max: 47 }), pages: fc.integer({ min: 1, max: 4 }) }).map(({ gfn, pages }) => ({ op: 'invalidate' as const, gfn, npages: pages })),
  // A clear of a few pages: with initially-set, the eager split of just the huge pages over them.
  fc.record({ gfn: fc.constantFrom(16, 20, 32), pages: fc.constantFrom(4, 16) }).map(({ gfn, pages }) => ({ op: 'clear-dirty-log' as const, slot: 0, first: 0, gfns: range(gfn, gfn + pages) })),
);

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

/**
 * A scenario: some accesses first, dirty logging enabled in a random mode, then random
 * operations. A paused clear is resumed by the next operation that needs the lock or the slot.
 */
export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  // Before logging: accesses, most often through B, so that B holds huge SPTEs and TLB entries.
  before: fc.array(fc.record({ vcpu: fc.integer({ min: 0, max: 1 }), root: fc.constantFrom('A', 'B', 'B'), off: fc.integer({ min: 0, max: 15 }) })
    .map(({ vcpu, root, off }): ScenarioOp => ({ op: 'access', vcpu, root, addr: (root === 'A' ? 0 : 16) + off, kind: 'write' })), { maxLength: 3 }),
  mode: fc.constantFrom({ manualProtect: false, initiallySet: false }, { manualProtect: true, initiallySet: false }, { manualProtect: true, initiallySet: true }),
  after: fc.array(opArb, { minLength: 1, maxLength: 8 }),
  splitYield: fc.constantFrom('cache' as const, 'every' as const, 'never' as const),
}).map(({ before, mode, after, splitYield }) => {
  const ops: ScenarioOp[] = [...before, { op: 'enable-dirty-logging', slot: 0, ...mode }];
  let paused: string | null = null;
  after.forEach((o, i) => {
    if (o.op === 'clear-dirty-log' && !mode.manualProtect) return;
    const needsResume = paused && o.op !== 'invalidate' && !(o.op === 'access');
    if (needsResume) { ops.push({ op: 'resume', target: paused! }); paused = null; }
    if (o.op === 'clear-dirty-log' && o.pause) {
      if (paused) return;
      paused = `c${i}`;
      ops.push({ ...o, id: paused });
      return;
    }
    ops.push(o);
  });
  return {
    name: 'random', title: '', description: '', entries: 4, flushMode: 'bare-metal', splitYield, variant: 'v7',
    memslots: [{ id: 0, baseGfn: 0, npages: 64, hostPfn: 64, hostLevel: 3 }],
    roots: [
      { name: 'A', guestTableGfn: 0x1000, mappings: [{ l2: 0, gfn: 16, level: 3, access: 7 }, { l2: 16, gfn: 32, level: 3, access: 7 }], guestTables: [] },
      { name: 'B', guestTableGfn: 0x2000, mappings: [{ l2: 16, gfn: 16, level: 3, access: 7 }], guestTables: [] },
    ],
    vcpus: 2,
    operations: ops,
  } satisfies Scenario;
});

/**
 * The share of generated scenarios a property must have checked (not refused). Every scenario the
 * generator makes is meant to run, for every preset:
 * - accesses go through a mapping of their root (A: L2 0..15 and 16..31; B: L2 16..31), all of
 *   them uwx, to gfns 16..47 of the one memslot [0, 64); invalidations cover gfns 16..50 and
 *   clears lie in [0, 64), all inside it (the file checks: accessesMeaningful, clearRangesInSlot,
 *   invalidationsInSlots);
 * - logging is enabled once, before every get and clear, and a clear is dropped unless the mode is
 *   manual-protect (dirtyLogOrder; the runner's "needs dirty logging" refusals);
 * - the only pause is a clear's at its unlock, where it holds slots_lock but not mmu_lock: an
 *   access that faults meanwhile takes mmu_lock freely, and every later operation that needs
 *   slots_lock (a clear, a get) is preceded by the resume (the runner's lock refusals);
 * - invalidations are never paused, so no fault meets one in progress (faultWouldRetry()).
 * So none should be refused, and one refusal means the generator or the runner changed under the
 * properties: the share is all of them. The counts are printed either way.
 */
export const MIN_CHECKED_SHARE = 1;

/**
 * What a property over random scenarios checked: scenarios refused (by the scenario file checks,
 * which a file would meet in the reader, or by the runner) are not counterexamples, and are
 * counted with their reason instead of passing unseen.
 */
export class Tally {
  checked = 0;
  private readonly reasons = new Map<string, number>();

  constructor(readonly what: string, readonly minShare = MIN_CHECKED_SHARE) {}

  get refused(): number {
    let n = 0;
    for (const k of this.reasons.values()) n += k;
    return n;
  }

  /**
   * Run `body` on `s` unless the file checks refuse it; a ScenarioRunError from `body` is a
   * refusal too. The body's value, or null when refused (each counted).
   */
  run<T>(s: Scenario, body: () => T): T | null {
    const problem = SCENARIO_CHECKS.map((c) => ({ name: c.name, p: c.check(s)[0] })).find((x) => x.p);
    if (problem) {
      this.refuse(`${problem.name}: ${problem.p!.message}`);
      return null;
    }
    try {
      const out = body();
      this.checked++;
      return out;
    } catch (e) {
      if (!(e instanceof ScenarioRunError)) throw e;
      this.refuse(`runner: ${e.message}`);
      return null;
    }
  }

  private refuse(reason: string): void {
    // Numbers (operation indexes, addresses) differ from scenario to scenario: one line a kind.
    const kind = reason.replace(/\b(0x[0-9a-f]+|\d+)\b/g, 'N');
    this.reasons.set(kind, (this.reasons.get(kind) ?? 0) + 1);
  }

  summary(): string {
    const total = this.checked + this.refused;
    const lines = [`${this.what}: ${this.checked} of ${total} checked, ${this.refused} refused (at least ${Math.round(this.minShare * 100)} % must be checked)`];
    for (const [reason, n] of [...this.reasons].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} x ${reason}`);
    return lines.join('\n');
  }

  /** Print the counts, and fail when fewer than the share were checked (or none at all). */
  assertEnough(print: (line: string) => void): void {
    for (const line of this.summary().split('\n')) print(line);
    const total = this.checked + this.refused;
    assert.ok(total > 0 && this.checked > 0 && this.checked >= this.minShare * total, this.summary());
  }
}
