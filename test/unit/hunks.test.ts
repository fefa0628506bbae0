/** Anchoring the model's steps in a patch's hunks (src/anchor/hunks.ts), on our own fixture patches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorInPatch } from '../../src/anchor/hunks';
import { parsePatchInput } from '../../src/patch/parse';

const PATCHES = join(import.meta.dirname, '..', 'fixtures', 'patch');
/** A fixture patch's text and where each step is in its hunks. */
function anchored(name: string) {
  const text = readFileSync(join(PATCHES, name), 'utf8');
  const input = parsePatchInput(text, name);
  return { text, input, a: anchorInPatch(input) };
}
/** The 1-based line of the only line of `text` equal to `line`. */
function lineNo(text: string, line: string): number {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const at = lines.indexOf(line);
  assert.ok(at >= 0 && lines.indexOf(line, at + 1) < 0, `"${line}" is not once in the patch`);
  return at + 1;
}

test('seed-like patch: a statement on both sides is the added line; one only in context is the context line', () => {
  const { text, a } = anchored('seed-like.format-patch.patch');
  // drop_large_spte()'s flush is removed (unconditional) and added again under if (flush): both
  // sides hold it exactly, and a tie goes to the new side, the line the patch leaves in place.
  const flush = a.get('dropLargeFlush')!;
  assert.ok(flush.found && flush.side === 'new' && flush.kind === '+' && flush.how === 'exact', JSON.stringify(flush));
  assert.equal(flush.inputLine, lineNo(text, '+\t\tkvm_flush_remote_tlbs_with_address(kvm, sp->gfn,'));
  // The split's link call: the added line is the model's statement exactly; the removed one only an older form.
  const link = a.get('splitLink')!;
  assert.ok(link.found && link.how === 'exact' && link.function === 'shadow_mmu_split_huge_page');
  assert.equal(link.inputLine, lineNo(text, '+\t__link_shadow_page(kvm, cache, huge_sptep, sp, flush);'));
  // drop_spte(kvm, sptep) is a context line of drop_large_spte()'s second hunk.
  const drop = a.get('dropSpte')!;
  assert.ok(drop.found && drop.kind === ' ');
  assert.equal(drop.inputLine, lineNo(text, ' \tdrop_spte(kvm, sptep);'));
  // The split's get-sp call is not among its hunk lines, but the function is: it starts at its
  // definition, a context line at the end of link_shadow_page()'s hunk.
  const getSp = a.get('splitGetSp')!;
  assert.ok(!getSp.found && getSp.functionInputLine === lineNo(text, ' static void shadow_mmu_split_huge_page(struct kvm *kvm,'), JSON.stringify(getSp));
  // kvm_main.c is not in the patch at all: nothing to point at.
  const clear = a.get('clearLock')!;
  assert.ok(!clear.found && clear.functionInputLine === undefined);
});

test('never-flush diff: exact on the removed side beats a fuzzy match on the added side; a lone match elsewhere is not taken', () => {
  const { text, a } = anchored('never-flush.unified.diff');
  // The added line passes false where the model passes flush: 5 of 6 tokens, fuzzy (0.58) < exact (1).
  const link = a.get('splitLink')!;
  assert.ok(link.found && link.side === 'old' && link.kind === '-' && link.how === 'exact', JSON.stringify(link));
  assert.equal(link.inputLine, lineNo(text, '-\t__link_shadow_page(kvm, cache, huge_sptep, sp, flush);'));
  // The present-table flush exists only before this patch.
  const present = a.get('splitPresentFlush')!;
  assert.ok(present.found && present.side === 'old');
  // mmu_spte_set(sptep, spte) is in the split's hunk, but the step is __link_shadow_page()'s, which the diff does not touch.
  const set = a.get('linkSet')!;
  assert.ok(!set.found && /__link_shadow_page\(\) is not in the hunks/.test(set.reason), JSON.stringify(set));
});

test('a series: the later patch wins a tie, and each line maps to the input line of its own message', () => {
  const { text, input, a } = anchored('series.mbox');
  const lines = text.split('\n');
  // __link_shadow_page()'s mmu_spte_set() is context in more than one patch of the series: the last one's line is shown.
  const set = a.get('linkSet')!;
  assert.ok(set.found && set.how === 'exact');
  const holding = input.patches.filter((p) => p.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.kind === ' ' && l.text === '\tmmu_spte_set(sptep, spte);')))).map((p) => p.index);
  assert.ok(holding.length > 1, `the series has the context line in patches ${holding.join(', ')}`);
  assert.equal(set.patch, Math.max(...holding), 'the last patch holding it');
  assert.equal(lines[set.inputLine - 1], ' \tmmu_spte_set(sptep, spte);');
  for (const r of a.values()) if (r.found) assert.match(lines[r.inputLine - 1], /^[ +-]/, `${r.id}: line ${r.inputLine} is not a hunk line`);
});
