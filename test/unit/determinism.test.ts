/**
 * The core is deterministic: the same scenario and variant give the same trace byte for byte, and
 * the state after a step is the same whether reached forwards, backwards or from a checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceText } from '../../src/view/trace_text';
import { Walkthrough } from '../../src/run/walkthrough';
import { cloneState, type MmuState } from '../../src/model/state';
import { ScenarioRun } from '../../src/run/runner';
import { findPreset } from '../../src/kernel/variants';
import { auditStructure } from '../../src/checks/structure';
import { run, scenario } from './helpers';

/** A canonical rendering of a state, for comparing two of them. */
function fingerprint(s: MmuState): string {
  const sps = s.sps.map((sp) => `${sp.id}:${sp.gfn}:${sp.role.level}:${sp.role.direct}:${Array.from(sp.flags).join(',')}:${Array.from(sp.target).join(',')}:${sp.parentPtes.join(',')}`);
  const tlb = s.vcpus.map((v) => v.tlb.map((e) => JSON.stringify(e)).join(';'));
  const bitmaps = s.memslots.map((m) => Array.from(m.dirtyBitmap.subarray(0x40000, 0x40400)).join(''));
  return [sps.join('\n'), tlb.join('|'), bitmaps.join('|'), JSON.stringify(s.counters), String(s.mmuLockHeld), JSON.stringify(s.freedPfns)].join('\n#\n');
}

test('two runs of the same scenario give byte-identical traces', () => {
  for (const name of ['reused-partial', 'reused-leaf']) {
    for (const p of ['v7', 'never-flush']) {
      assert.equal(traceText(run(name, p), false), traceText(run(name, p), false), `${name} ${p}`);
      assert.equal(JSON.stringify(run(name, p).steps), JSON.stringify(run(name, p).steps));
    }
  }
});

test('stepping back returns exactly the state that stepping forward passed through', () => {
  const s = scenario('reused-partial');
  const variant = findPreset('never-flush')!;
  // Forward, one step at a time, keeping a copy of every state.
  const fwd = new ScenarioRun(s, { variant });
  const states: string[] = [fingerprint(fwd.machine.state)];
  while (fwd.step()) states.push(fingerprint(fwd.machine.state));
  const w = new Walkthrough(s, { variant }, 8);
  assert.equal(w.length, states.length - 1);
  // Backwards from the end, then a few jumps: each must match the forward state.
  for (let i = w.length - 1; i >= -1; i--) assert.equal(fingerprint(w.stateAfter(i)), states[i + 1], `state after step ${i}`);
  for (const i of [40, 3, 53, 0, 25, 25, 26]) assert.equal(fingerprint(w.stateAfter(i)), states[i + 1], `jump to ${i}`);
  // Forward to the end, then back by twos with a step forward between (the window built ahead is
  // taken over part way, and stepping forward in it must not disturb it).
  const z = new Walkthrough(s, { variant }, 8);
  for (let i = -1; i < z.length; i++) assert.equal(fingerprint(z.stateAfter(i)), states[i + 1], `forward to ${i}`);
  for (let i = z.length - 1; i >= 1; i -= 2) {
    assert.equal(fingerprint(z.stateAfter(i - 1)), states[i], `back to ${i - 1}`);
    assert.equal(fingerprint(z.stateAfter(i - 2)), states[i - 1], `back to ${i - 2}`);
    assert.equal(fingerprint(z.stateAfter(i - 1)), states[i], `forward again to ${i - 1}`);
  }
});

test('a restored snapshot continues to the same steps', () => {
  const s = scenario('reused-leaf');
  const variant = findPreset('v7')!;
  const a = new ScenarioRun(s, { variant });
  for (let i = 0; i < 20; i++) a.step();
  const snap = a.snapshot();
  const tailA: string[] = [];
  let st;
  while ((st = a.step())) tailA.push(JSON.stringify(st));
  const b = new ScenarioRun(s, { variant });
  b.restore(snap);
  const tailB: string[] = [];
  while ((st = b.step())) tailB.push(JSON.stringify(st));
  assert.deepEqual(tailB, tailA);
});

test('structural sanity holds after every step of every built-in scenario', () => {
  for (const name of ['reused-partial', 'reused-leaf']) {
    for (const p of ['v7', 'never-flush', 'mainline-2026']) {
      const r = new ScenarioRun(scenario(name), { variant: findPreset(p)! });
      let step;
      while ((step = r.step())) {
        assert.deepEqual(auditStructure(r.machine.state), [], `${name} ${p} after step ${step.index}: ${step.text}`);
      }
    }
  }
});

test('the structural audit notices a broken rmap and a dangling parent pointer', () => {
  const r = new ScenarioRun(scenario('reused-partial'), { variant: findPreset('v7')! });
  r.runToEnd();
  const broken = cloneState(r.machine.state);
  // Drop the first rmap entry of level 1: a present 4K leaf is now missing from its rmap.
  const rm = broken.memslots[0].rmap[1];
  const i = rm.head.findIndex((x) => x !== 0);
  rm.head[i] = 0;
  const problems = auditStructure(broken);
  assert.ok(problems.some((p) => /not in its rmap/.test(p)), problems.join('\n'));
  const sp = broken.sps.find((x) => x.parentPtes.length > 0)!;
  sp.parentPtes.push(0);
  assert.ok(auditStructure(broken).some((p) => /does not point at it/.test(p)));
});
