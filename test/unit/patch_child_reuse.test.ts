/**
 * The patch reader's childReuse rule (kvm_mmu_get_child_sp()'s -EEXIST test), on our own
 * miniatures of the two 2026 fixes (test/fixtures/patch/src/child-sp, child-sp.sh). The real
 * stable mails were classified by hand with the CLI: docs/kernel-guest-tables.md, "Mails".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, type Classification } from '../../src/patch/classify';
import { parsePatchInput } from '../../src/patch/parse';

const FX = join(__dirname, '..', 'fixtures', 'patch');
const read = (f: string) => readFileSync(join(FX, f), 'utf8');
const cl = (text: string, name: string): Classification => classify(parsePatchInput(text, name).patches);
const decision = (c: Classification) => c.decisions.find((d) => d.policy === 'childReuse')!;
/** The 1-based line of the patch text that starts with `prefix` (the hunk line the evidence must name). */
const lineOf = (text: string, prefix: string) => text.split('\n').findIndex((l) => l.startsWith(prefix)) + 1;

test('the "unexpected GFN" miniature: childReuse present -> gfn and linkPresent drop-large -> zap-and-flush, so v6.3 -> mainline-2026-gfn', () => {
  const text = read('gfn-fix.patch');
  const c = cl(text, 'gfn-fix.patch');
  assert.equal(c.understood, true, c.reasons.join('; '));
  const d = decision(c);
  assert.deepEqual([d.before, d.after, d.beforeHow, d.afterHow], ['present', 'gfn', 'patch', 'patch']);
  // The evidence is the old test and the new one, line by line as the hunk has them.
  const lines = d.evidence.map((e) => `${e.kind}${e.inputLine}`);
  assert.ok(lines.includes(`-${lineOf(text, '-\tif (is_shadow_present_pte(*sptep) && !is_large_pte(*sptep))')}`), lines.join(' '));
  assert.ok(lines.includes(`+${lineOf(text, '+\t    spte_to_child_sp(*sptep)->gfn == gfn)')}`), lines.join(' '));
  // Before: drop_large_spte() with the _sptep flush is v6.3's code (the first preset with it);
  // after: zap-and-flush and the gfn test are the policies of mainline-2026-gfn.
  assert.equal(`${c.before?.name} -> ${c.after?.name}`, 'v6.3 -> mainline-2026-gfn');
  assert.ok(c.touchedFunctions.includes('kvm_mmu_get_child_sp'));
});

test('the "unexpected role" miniature changes only kvm_mmu_get_child_sp(): gfn -> gfn-role, so mainline-2026-gfn -> mainline-2026', () => {
  const text = read('role-fix.patch');
  const c = cl(text, 'role-fix.patch');
  assert.equal(c.understood, true, c.reasons.join('; '));
  assert.deepEqual(c.touchedFunctions, ['kvm_mmu_get_child_sp']);
  const d = decision(c);
  assert.deepEqual([d.before, d.after], ['gfn', 'gfn-role']);
  assert.ok(d.evidence.some((e) => e.kind === '+' && e.inputLine === lineOf(text, '+\t    spte_to_child_sp(*sptep)->role.word == role.word)')));
  // The other policies are not in the patch: filled from the first preset with childReuse=gfn.
  assert.equal(`${c.before?.name} -> ${c.after?.name}`, 'mainline-2026-gfn -> mainline-2026');
  assert.ok(c.decisions.filter((x) => x.policy !== 'childReuse').every((x) => !x.changed && x.beforeHow === 'assumed'));
});

test('an older tree\'s backport with a second file (spte.h adds spte_to_child_sp()) reads the same, with that tree\'s flush range', () => {
  const c = cl(read('gfn-fix-old-tree.patch'), 'gfn-fix-old-tree.patch');
  assert.equal(c.understood, true, c.reasons.join('; '));
  assert.ok(!c.touchedFunctions.includes('spte_to_child_sp') && !c.otherFunctions.includes('spte_to_child_sp'), 'spte.h holds no modelled step');
  assert.deepEqual([decision(c).before, decision(c).after], ['present', 'gfn']);
  // drop_large_spte() flushed sp->gfn's range there (table-gfn): no preset has that with the fix.
  assert.equal(c.decisions.find((x) => x.policy === 'dropFlushRange')!.before, 'table-gfn');
  assert.match(c.after!.name, /linkPresent=zap-and-flush,dropFlushRange=table-gfn,.*childReuse=gfn$/);
});

test('a reuse test that compares the role but not the gfn is none of the three values: not understood', () => {
  const text = read('role-fix.patch').replace('+\t    spte_to_child_sp(*sptep)->gfn == gfn &&\n', '');
  const c = cl(text, 'role-only.patch');
  assert.equal(c.understood, false);
  assert.ok(c.unexplained.some((u) => u.text.includes('role.word == role.word')), JSON.stringify(c.unexplained));
  assert.equal(c.after, undefined);
});
