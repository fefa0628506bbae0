/**
 * The brief trace (src/view/trace_brief.ts, docs/trace-brief.md): the verdict first, only the
 * steps that write an SPTE, change a TLB, flush or skip a flush, release mmu_lock or fail a check,
 * like steps folded with a count, at most 72 columns, never a word cut in two. The expected step
 * numbers are found in the full trace by what the step does (its kind, its writes), never copied
 * from the brief; the counts come from the scenario's arithmetic, written next to them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_SCENARIOS, builtinScenario } from '../../src/scenario/builtins';
import { findPreset, PRESETS } from '../../src/kernel/variants';
import { runScenario, type Trace } from '../../src/run/run';
import type { Step } from '../../src/model/step';
import { BRIEF_WIDTH, briefKeeps, traceBrief } from '../../src/view/trace_brief';
import { keep, wrap } from '../../src/view/wrap';
import { plural } from '../../src/view/plural';

function run(name: string, preset: string): Trace {
  return runScenario(builtinScenario(name)!, { variant: findPreset(preset)! });
}

/** The step numbers the brief shows as paragraphs ("[25] drop_large_spte (...)"). */
function shownSteps(brief: string): number[] {
  return [...brief.matchAll(/^\[(\d+)\] /gm)].map((m) => Number(m[1]));
}

const after = (steps: readonly Step[], from: number, ok: (s: Step) => boolean): Step => steps.find((s) => s.index > from && ok(s))!;

test('plural: one is singular, every other count plural', () => {
  assert.equal(plural(1, 'more dirty-bitmap word'), '1 more dirty-bitmap word');
  assert.equal(plural(2, 'more dirty-bitmap word'), '2 more dirty-bitmap words');
  assert.equal(plural(0, 'split'), '0 splits');
  assert.equal(plural(1, 'remote flush', 'remote flushes'), '1 remote flush');
  assert.equal(plural(14, 'remote flush', 'remote flushes'), '14 remote flushes');
});

test('wrap breaks only at spaces, hangs the lines after the first, keeps a too-long word whole', () => {
  const text = 'kvm_arch_flush_remote_tlbs_memslot(kvm, memslot) -> kvm_flush_remote_tlbs_with_address(kvm, 0x40000, 262144)';
  // 20 columns: the two long identifiers (39 and 39 characters with their "(kvm,") stay whole
  // past the width, each on a line of its own; "    memslot) ->" is 15 columns and fits;
  // "    0x40000, 262144)" is exactly 20.
  assert.deepEqual(wrap(text, 20, '  ', '    '), [
    '  kvm_arch_flush_remote_tlbs_memslot(kvm,', '    memslot) ->', '    kvm_flush_remote_tlbs_with_address(kvm,', '    0x40000, 262144)',
  ]);
  // keep(): "6 SPs" would fit on the first line only as "6"; kept together it moves down whole.
  assert.deepEqual(wrap('counters: 1 split, 6 SPs created', 20), ['counters: 1 split, 6', 'SPs created']);
  assert.deepEqual(wrap(`counters: 1 split, ${keep('6 SPs')} created`, 20), ['counters: 1 split,', '6 SPs created']);
});

test('reused-partial under never-flush: the verdict first, with the step that caused each violation and the step that found it', () => {
  const t = run('reused-partial', 'never-flush');
  const brief = traceBrief(t);
  const lines = brief.split('\n');
  // The cause: the split of op #3 drops the 1G SPTE sp#2[1] (a drop-spte step writing sp#2[1] to
  // not present); never-flush skips the flush right after it; the first mmu_lock release after
  // that (KVM_MMU_UNLOCK at the end of the dirty-bitmap words) is where the stale-TLB check finds
  // vCPU 0's 1G TLB entry still mapping what sp#2[1] mapped. vCPU 0's later write through that
  // entry (op #5, a TLB hit) reaches the page the invalidation (op #4) freed: use-after-free.
  const drop = t.steps.find((s) => s.kind === 'drop-spte' && s.writes.some((w) => w.sp === 2 && w.index === 1))!;
  const skipped = after(t.steps, drop.index, (s) => s.kind === 'flush-skipped');
  const release = after(t.steps, drop.index, (s) => s.kind === 'unlock' || s.kind === 'resched');
  const hit = t.steps.find((s) => s.kind === 'tlb-hit' && s.op === 5)!;
  assert.equal(lines[0], 'verdict: VIOLATION (2 violations)');
  assert.equal(lines[1], `- stale-tlb (unmapped): caused at step ${drop.index}, found at step ${release.index}, flush`);
  assert.equal(lines[2], `    skipped at step ${skipped.index}`);
  assert.match(lines[3], /^ {4}vCPU 0 still maps gfn 0x40200 writable via a 1G TLB entry/);
  const uaf = lines.findIndex((l) => l.startsWith('- use-after-free'));
  assert.equal(`${lines[uaf]} ${lines[uaf + 1].trim()}`, `- use-after-free: caused at step ${drop.index}, found at step ${hit.index}, flush skipped at step ${skipped.index}`);
  assert.match(brief, new RegExp(`^\\[${release.index}\\] kvm_clear_dirty_log_protect \\(#3 clear-dirty-log, kvm\\)\\n(.*\\n)*?  !! stale-tlb \\(unmapped\\) found here$`, 'm'));
});

test('reused-partial under never-flush: exactly the steps that write, change a TLB, flush or skip, release mmu_lock or fail a check', () => {
  const t = run('reused-partial', 'never-flush');
  const shown = shownSteps(traceBrief(t));
  // Left out, whatever else: taking a lock (the fault's write_lock, KVM_MMU_LOCK), a TLB hit with
  // no violation, the split's lookup of its child SP (get-sp writes nothing), a dirty-bitmap word
  // that clears bits and write-protects nothing, the memslot ioctls that change no SPTE.
  for (const s of t.steps.filter((x) => x.kind === 'lock' || x.kind === 'get-sp' || x.kind === 'memslot-flags')) assert.ok(!shown.includes(s.index), `step ${s.index} (${s.kind}) shown`);
  for (const s of t.steps.filter((x) => x.kind === 'dirty-bitmap' && x.writeCount === 0 && !x.flush)) assert.ok(!shown.includes(s.index), `dirty-bitmap word ${s.index} shown`);
  // Kept: the drop of sp#2[1] and the link over it (SPTE writes), the skipped flush, the memslot
  // flush after the unlock, both TLB fills (vCPU 0's 1G, vCPU 1's 4K), every mmu_lock release,
  // the TLB hit that found the use-after-free.
  const kept = t.steps.filter(briefKeeps).map((s) => s.index);
  for (const k of ['drop-spte', 'flush-skipped', 'flush', 'tlb-fill', 'unlock', 'resched', 'link'] as const) {
    const of = t.steps.filter((s) => s.kind === k);
    assert.ok(of.length, `the scenario has a ${k} step`);
    for (const s of of) assert.ok(kept.includes(s.index), `${k} step ${s.index} not kept`);
  }
  assert.ok(kept.includes(t.steps.find((s) => s.kind === 'tlb-hit' && s.violations.length)!.index), 'the violating TLB hit');
  // Folded: op #2's fault (vCPU 1 at L2 gfn 0x205 via root A) builds three child SPs in a row:
  // sp#3, indirect (it shadows root A's level-3 guest table), then sp#4 and sp#5, direct (the
  // guest maps the region with one 1G page, so KVM's tables below it shadow no guest table).
  // The two direct ones are the same statement: the second is folded, one step, singular.
  const direct = t.steps.filter((s) => s.op === 2 && s.kind === 'fault' && /\(direct, level/.test(s.text));
  assert.equal(direct.length, 2);
  assert.ok(shown.includes(direct[0].index) && !shown.includes(direct[1].index));
  assert.match(traceBrief(t), new RegExp(`^  \\.\\.\\. 1 more child SP linked like it \\(step ${direct[1].index}\\)$`, 'm'));
  // Everything kept is shown or counted in a fold line.
  assert.deepEqual(kept.filter((i) => !shown.includes(i)), [direct[1].index]);
});

test('common-1g under v7: 513 splits as one round of 40 shown and the 12 rounds after it counted; 2 remote flushes', () => {
  const t = run('common-1g', 'v7');
  const brief = traceBrief(t);
  // Enabling dirty logging splits the 1G page (1 split, into 512 2M leaves), then each of the 512
  // 2M leaves (512 splits): 513. The split caches hold SPLIT_CACHE_CAPACITY = 40 SPs and each split
  // takes one, so the split drops mmu_lock to top them up before every 40th: 13 rounds of a release
  // and up to 40 splits (12 x 40 + 33). The first round is shown: its release, its first split,
  // "39 more"; the other 12 rounds are one line: 12 releases and 513 - 40 = 473 splits.
  assert.equal(t.counters.splits, 513);
  const splits = t.steps.filter((s) => s.kind === 'get-sp');
  // The second split's first kept step is its split loop (the get-sp before it writes nothing);
  // the 40th split ends with its link.
  const second = after(t.steps, splits[1].index - 1, (s) => s.kind === 'split-loop');
  const fortieth = after(t.steps, splits[39].index, (s) => s.kind === 'link');
  assert.match(brief, new RegExp(`^  \\.\\.\\. 39 more huge-page splits like it \\(steps ${second.index}-${fortieth.index}\\)$`, 'm'));
  const round2 = after(t.steps, fortieth.index, (s) => s.kind === 'resched');
  const lastLink = [...t.steps].reverse().find((s) => s.kind === 'link')!;
  const firstRelease = t.steps.find((s) => s.kind === 'resched')!;
  assert.match(brief, new RegExp(`^  \\.\\.\\. the steps from \\[${firstRelease.index}\\] repeat 12 more times \\(steps ${round2.index}-${lastLink.index}\\):\\n {4}12 mmu_lock releases, 473 huge-page splits$`, 'm'));
  // The end: v7 write-protects the slot (262144 4K SPTEs) and flushes the memslot; the fault
  // that makes one page writable again; the dirty-log harvest write-protects it and flushes.
  assert.match(brief, /^counters: 2 remote flushes, /m);
  assert.match(brief, /^verdict: no violation$/m);
  assert.match(brief, /^ {2}checked: no TLB entry maps what the tables no longer map at any of the$/m);
  assert.ok(brief.split('\n').length < 120, `a mail, not a log: ${brief.split('\n').length} lines`);
});

test('every built-in under every preset: at most 72 columns, ASCII, no word cut, the verdict first', () => {
  for (const name of BUILTIN_SCENARIOS) {
    for (const p of PRESETS) {
      const t = runScenario(builtinScenario(name)!, { variant: p });
      const brief = traceBrief(t);
      const lines = brief.split('\n');
      const at = `${name} under ${p.name}`;
      for (const l of lines) assert.ok(l.length <= BRIEF_WIDTH, `${at}: ${l.length} columns: ${l}`);
      assert.ok(/^[\x20-\x7e\n]*$/.test(brief), `${at}: not ASCII`);
      assert.equal(lines[0], t.violations.length ? `verdict: VIOLATION (${plural(t.violations.length, 'violation')})` : 'verdict: no violation', at);
      // No identifier, hex number or sp#N[i] split across lines: each word of a shown step's
      // sentence is a whole word of the brief.
      const words = new Set(brief.split(/\s+/));
      const shown = new Set(shownSteps(brief));
      for (const s of t.steps.filter((x) => shown.has(x.index))) {
        for (const w of s.text.split(/\s+/).filter(Boolean)) assert.ok(words.has(w), `${at}: step ${s.index}'s word ${w} is cut`);
      }
      // The kept steps a fold line does not count are all shown.
      assert.ok(t.steps.filter(briefKeeps).length >= shown.size, at);
    }
  }
});
