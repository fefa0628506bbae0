/**
 * Fuzzing the patch reader with random text and with mutations of our own fixture patches in
 * every format (test/fixtures/patch/). Whatever arrives, parsePatchInput() returns (errors are
 * diagnostics with a line), and classify() on what parsed returns: no exception escapes.
 * FUZZ_RUNS raises the count; the numbers tried are in docs/reliability.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parsePatchInput } from '../../src/patch/parse';
import { classify } from '../../src/patch/classify';
import { applyFileDiff } from '../../src/patch/apply';
import { fuzzFor, hunkBody, hunkHeader, LINE_ENDS, quotedPrintable } from './fuzz_generators';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 6172);
const dir = join(__dirname, '..', 'fixtures', 'patch');
const fixtures = readdirSync(dir).filter((f) => /\.(patch|diff|mbx|mbox|txt)$/.test(f)).map((f) => readFileSync(join(dir, f), 'utf8'));

function feed(text: string): void {
  let parsed;
  try {
    parsed = parsePatchInput(text, 'fuzz.patch');
  } catch (e) {
    throw new Error(`parsePatchInput threw ${(e as Error).name}: ${(e as Error).message}\ninput: ${JSON.stringify(text.slice(0, 400))}`);
  }
  for (const d of parsed.diagnostics) assert.ok(Number.isInteger(d.line) && d.line >= 1, `a diagnostic without a line: ${JSON.stringify(d)}`);
  if (!parsed.patches.length) return;
  try {
    classify(parsed.patches);
  } catch (e) {
    throw new Error(`classify threw ${(e as Error).name}: ${(e as Error).message}\ninput: ${text.slice(0, 1500)}`);
  }
}

test('the fixtures are there to mutate', () => {
  assert.ok(fixtures.length >= 8, `only ${fixtures.length} fixture patches`);
});

test('random text never crashes the patch reader', () => {
  fc.assert(fc.property(fc.string({ maxLength: 600 }), (t) => { feed(t); }), { numRuns: RUNS, seed: SEED });
});

test('random lines that look like patch syntax never crash it', () => {
  const line = fc.oneof(
    fc.constantFrom('diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c', '--- a/arch/x86/kvm/mmu/mmu.c', '+++ b/arch/x86/kvm/mmu/mmu.c',
      'index 22681931921f..79c6a821ea0d 100644', 'From: A <a@b>', 'Subject: [PATCH v2 3/5] KVM: x', '---', '-- ', 'Signed-off-by: A <a@b>', ''),
    fc.tuple(fc.nat(9999), fc.nat(50), fc.nat(9999), fc.nat(50), fc.constantFrom('', ' static void drop_large_spte(struct kvm *kvm, u64 *sptep)'))
      .map(([a, b, c, d, f]) => `@@ -${a},${b} +${c},${d} @@${f}`),
    fc.tuple(fc.constantFrom('+', '-', ' ', ''), fc.constantFrom('drop_spte(kvm, sptep);', 'if (flush)', 'flush |= !is_last_spte(*sptep, sp->role.level);', '}', 'kvm_flush_remote_tlbs_with_address(kvm, sp->gfn,'))
      .map(([m, s]) => m + s),
  );
  fc.assert(fc.property(fc.array(line, { maxLength: 60 }), (ls) => { feed(ls.join('\n')); }), { numRuns: RUNS, seed: SEED });
});

test('fixture patches truncated, with lines dropped or duplicated, or a character replaced, never crash it', () => {
  fc.assert(fc.property(fc.nat(fixtures.length - 1), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }), (k, a, b, how, ch) => {
    const text = fixtures[k];
    const lines = text.split('\n');
    const i = a % lines.length;
    switch (how) {
      case 0: feed(text.slice(0, a % (text.length + 1))); break;
      case 1: feed([...lines.slice(0, i), ...lines.slice(i + 1 + (b % 5))].join('\n')); break;
      case 2: feed([...lines.slice(0, i), lines[i], ...lines.slice(i)].join('\n')); break;
      default: { const at = a % text.length; feed(text.slice(0, at) + String.fromCharCode(ch) + text.slice(at + 1)); }
    }
  }), { numRuns: RUNS, seed: SEED });
});

test('pathological patches: a million @@ lines, a 5 MB line, deep nesting of mails', () => {
  feed('@@ -1,1 +1,1 @@\n'.repeat(200_000));
  feed('+' + 'x'.repeat(5_000_000) + '\n');
  feed('From a@b Mon Sep 17 00:00:00 2001\n'.repeat(50_000));
});

// ---- structure-aware: the places issue 19's hostile inputs hit (test/unit/fuzz_generators.ts) ----

const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 8000);
const MMU_C = 'static void drop_large_spte(struct kvm *kvm, u64 *sptep, bool flush)\n{\n\tdrop_spte(kvm, sptep);\n\tif (flush)\n\t\tkvm_flush_remote_tlbs(kvm);\n}\n';

/** Parses, classifies, and applies every file diff to a tree file of the given text (as patch --tree does). */
function feedWithTree(text: string, tree: string): void {
  feed(text);
  for (const p of parsePatchInput(text, 'fuzz.patch').patches) {
    for (const f of p.files) {
      try {
        applyFileDiff(f, tree, { whitespaceInsensitive: true });
        applyFileDiff(f, tree);
      } catch (e) {
        throw new Error(`applyFileDiff threw ${(e as Error).name}: ${(e as Error).message}\ninput: ${text.slice(0, 800)}`);
      }
    }
  }
}

test('hunk headers whose counts claim more lines than follow, at 2^31, 2^32, 2^53, against trees shorter than the hunks', () => {
  const arb = fc.record({ hunks: fc.array(fc.tuple(hunkHeader, hunkBody), { minLength: 1, maxLength: 4 }), eol: fc.constantFrom(...LINE_ENDS), tree: fc.constantFrom('', '\n', 'x\n', MMU_C, MMU_C.slice(0, 40)) });
  const tried = fuzzFor(arb, ({ hunks, eol, tree }) => {
    const lines = ['diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c', '--- a/arch/x86/kvm/mmu/mmu.c', '+++ b/arch/x86/kvm/mmu/mmu.c', ...hunks.flatMap(([h, b]) => [h, ...b])];
    feedWithTree(lines.join(eol) + eol, tree);
  }, { seed: SEED, runs: RUNS * 3, budgetMs: BUDGET_MS, label: 'hunk counts' });
  assert.ok(tried > 0);
});

test('quoted-printable mails with soft line breaks anywhere, emoji and every line end, applied to short trees', () => {
  const mail = fixtures.find((t) => t.startsWith('From ') && t.includes('\n+++ b/arch/x86/kvm/mmu/mmu.c')) ?? fixtures[0];
  const cut = mail.indexOf('\n\n');
  const arb = fc.record({ cuts: fc.array(fc.nat(), { maxLength: 6 }), extra: fc.constantFrom('\u{1F600}', '\u00e9\u4e2d', '\u2028', 'a\rb', '=3D', ''), eol: fc.constantFrom('\n', '\r\n'), tree: fc.constantFrom('', MMU_C) });
  const tried = fuzzFor(arb, ({ cuts, extra, eol, tree }) => {
    const headers = mail.slice(0, cut) + '\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable';
    const body = quotedPrintable(`${extra} in the log ${extra}\n${mail.slice(cut + 2)}`, cuts);
    feedWithTree(`${headers}\n\n${body}`.split('\n').join(eol), tree);
  }, { seed: SEED, runs: RUNS * 3, budgetMs: BUDGET_MS, label: 'quoted-printable' });
  assert.ok(tried > 0);
});
