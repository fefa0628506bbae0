/**
 * The rmap-disagreement check (src/checks/rmap_agreement.ts), --until <kind> and "violation:<kind>"
 * expectations, on the unexpected-GFN flow of test/unit/memslot_delete.test.ts (E = 4, memslot 1 =
 * gfns 0..31, memslot 2 = 32..63, D the direct L1 SP for G1 = 16): op 2's fault files D[1] under
 * 33 where kvm_mmu_page_get_gfn(D, 1) = 16 + 1 = 17.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/parse';
import { meetsExpectation, runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';

const FLOW = parseScenario(JSON.stringify({
  name: 'delete-flow', entries: 4,
  memslots: [
    { id: 1, baseGfn: 0, pages: 32, hostPfn: 64, hostPageSize: '4K' },
    { id: 2, baseGfn: 32, pages: 32, hostPfn: 96, hostPageSize: '4K' },
  ],
  roots: [{ name: 'A', guestTableGfn: '0x1000', mappings: [{ l2: 0, gfn: 16, size: '2M' }] }],
  operations: [
    { op: 'access', vcpu: 0, root: 'A', addr: 0, kind: 'read' },
    { op: 'guest-table-write', by: 'vmm', table: '0x1002', index: 0, entry: { kind: 'huge', gfn: 32 } },
    { op: 'access', vcpu: 0, root: 'A', addr: 1, kind: 'read' },
    { op: 'delete-memslot', slot: 1 },
    { op: 'invalidate', gfn: 33 },
  ],
  expect: { 'mainline-2026-pre': 'violation:sp-use-after-free', 'mainline-2026-gfn': 'pass', v7: 'violation:data-corruption' },
}), 'delete-flow.json');

test('mainline-2026-pre: the install of D[1] disagrees with get_gfn at that very step, caused by it; no structure report', () => {
  const t = runScenario(FLOW, { variant: findPreset('mainline-2026-pre')! });
  const install = t.steps.find((s) => s.op === 2 && s.kind === 'install-leaf')!;
  const d = t.violations.filter((v) => v.kind === 'rmap-disagreement');
  assert.equal(d.length, 1);
  assert.deepEqual({ step: d[0].step, cause: d[0].causeStep, gfn: d[0].gfn }, { step: install.index, cause: install.index, gfn: 17 });
  assert.match(d[0].message, /filed in the rmap of gfn 0x21 .* gives 0x11/);
  assert.deepEqual(t.violations.filter((v) => v.kind === 'structure'), [], 'structure no longer claims rmap <=> leaf');
  assert.deepEqual(t.violations.map((v) => v.kind), ['rmap-disagreement', 'data-corruption', 'sp-use-after-free']);
});

test('the fixes: no disagreement (the leaf goes into an SP whose get_gfn is its gfn)', () => {
  for (const p of ['mainline-2026-gfn', 'mainline-2026']) {
    assert.deepEqual(runScenario(FLOW, { variant: findPreset(p)! }).violations, [], p);
  }
});

test('--until data-corruption stops at the zap that misses; without it the run goes on to the use-after-free', () => {
  const t = runScenario(FLOW, { variant: findPreset('mainline-2026-pre')!, until: 'data-corruption' });
  const last = t.steps[t.steps.length - 1];
  assert.equal(last.kind, 'zap-sp');
  assert.deepEqual(t.violations.map((v) => v.kind), ['rmap-disagreement', 'data-corruption']);
});

test('"violation:<kind>" expectations are read and met per preset', () => {
  for (const [preset, expected] of Object.entries(FLOW.expect!)) {
    assert.ok(meetsExpectation(runScenario(FLOW, { variant: findPreset(preset)! }), expected), preset);
  }
  assert.equal(meetsExpectation({ violations: [] }, 'violation:rmap-disagreement'), false);
});
