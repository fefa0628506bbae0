/**
 * The same model at the explorer's scale: 4 entries a table. The hazard does not depend on 512.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../src/scenario/parse';
import { PRESETS } from '../../src/kernel/variants';
import { run } from './helpers';

const file = join(__dirname, '..', 'fixtures', 'reused-partial-e4.scenario.json');
const s = parseScenario(readFileSync(file, 'utf8'), file);

for (const p of PRESETS) {
  test(`E = 4 reused-partial under ${p.name}: ${s.expect![p.name]}`, () => {
    const t = run(s, p.name);
    assert.equal(t.verdict, s.expect![p.name], t.violations.map((v) => v.message).join('\n'));
  });
}

test('E = 4 never-flush: the stale entry is found at gfn 20, the first page of p\'s 2M region', () => {
  // p = 21 lies in the level-2 frame [20, 24); after the split B maps only 21 there, so the first
  // page vCPU 0's level-3 entry covers that no longer maps is 20.
  const t = run(s, 'never-flush');
  const stale = t.violations.find((v) => v.kind === 'stale-tlb')!;
  assert.equal(stale.gfn, 20);
  const uaf = t.violations.find((v) => v.kind === 'use-after-free')!;
  assert.equal(uaf.gfn, 22);
});

test('E = 4 splits: one 1G->2M split reusing A\'s level-2 SP, then 2M->4K splits of the other 3 frames of the region', () => {
  // B's level-3 SPTE covers frames [16,20) [20,24) [24,28) [28,32). The 1G->2M split fills the
  // three absent entries with 2M leaves; the 2M pass splits those three (the [20,24) entry is a
  // table already). 1 + 3 = 4 splits, one of them reusing.
  const t = run(s, 'v7');
  assert.equal(t.counters.splits, 4);
  assert.equal(t.counters.spsReused, 1);
  assert.equal(t.counters.splitFlushes, 1);
});
