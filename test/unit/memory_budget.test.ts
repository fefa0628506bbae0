/**
 * One memory budget per command (cli/budget.ts, src/run/estimate.ts; docs/reliability.md, Memory):
 * work whose estimate is over it is refused with exit 2 before anything is built, and the workers
 * of `explore --variant all` share it instead of each taking a machine's worth. Small budgets
 * (--max-memory 16) keep every case cheap; without the budget each of these scenarios and patches
 * would run to a heap abort (exit 134) or take minutes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigGuest } from '../../src/scenario/generated';
import { estimateRun, CHECK_BYTES_PER_LEAF, SLOT_BYTES_PER_PAGE, TRACE_BYTES_PER_WRITE } from '../../src/run/estimate';
import { builtinScenario } from '../../src/scenario/builtins';
import { ResourceLimitError, memoryCapMessage } from '../../src/model/errors';
import { countLines, defaultBudgetBytes, heapRoom, memoryBudget, patchBytesNeeded, PATCH_BYTES_PER_LINE, withinBudget } from '../../cli/budget';
import { shareBudget } from '../../cli/explore';
import { parseVariant, PRESETS } from '../../src/kernel/variants';
import { DEFAULT_BOUND } from '../../src/explore/scope';

const root = join(__dirname, '..', '..');
const MiB = 2 ** 20;
const G = 512 * 512;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** bigGuest(gib) as a scenario file (hex strings, as a user writes them). */
function guestFile(dir: string, gib: number): string {
  const hex = (n: number) => '0x' + n.toString(16);
  const mappings = Array.from({ length: gib }, (_, i) => ({ l2: hex((i + 1) * G), gfn: hex((i + 1) * G), size: '1G', access: 'uwx' }));
  const file = join(dir, `guest-${gib}g.scenario.json`);
  writeFileSync(file, JSON.stringify({
    name: `guest-${gib}g`, title: 'big', entries: 512, memslots: [{ id: 0, baseGfn: hex(G), pages: hex(gib * G), hostPfn: hex(4 * G), hostPageSize: '1G' }],
    roots: [{ name: 'A', guestTableGfn: '0x10', mappings }], vcpus: 1,
    operations: [...mappings.map((m) => ({ op: 'access', vcpu: 0, root: 'A', addr: m.l2, kind: 'write' })), { op: 'enable-dirty-logging', slot: 0 }],
  }));
  return file;
}

describe("a scenario's estimate", () => {
  test('bigGuest(1): a memslot page and a split 4K page each, plus each operation', () => {
    // One memslot of 2^18 pages, one root mapping all of it with one 1G mapping, and dirty logging,
    // which splits it to 2^18 4K SPTEs. Two operations (the write, the enable), each with room for
    // three new SPs of 512 entries at 14 bytes an entry and 2 KiB of steps.
    const e = estimateRun(bigGuest(1), 'check');
    assert.equal(e.slotPages, G);
    assert.equal(e.leafPages, G);
    assert.equal(e.bytes, G * SLOT_BYTES_PER_PAGE + G * CHECK_BYTES_PER_LEAF + 2 * (3 * 14 * 512 + 2048));
    // A kept trace adds every write: the split's (one a leaf) and the enable's write-protection
    // (one a leaf again), and up to E more per operation.
    const t = estimateRun(bigGuest(1), 'trace');
    assert.equal(t.writes, 2 * G + 2 * 512);
    assert.equal(t.bytes, e.bytes + t.writes * TRACE_BYTES_PER_WRITE);
  });

  test('without dirty logging nothing is split: a huge mapping costs its memslot, not its pages', () => {
    const s = bigGuest(4);
    const e = estimateRun({ ...s, operations: s.operations.filter((o) => o.op === 'access') }, 'check');
    assert.equal(e.leafPages, 0);
    assert.equal(e.slotPages, 4 * G);
  });

  test('an upper estimate: what the accesses faulted in, all split, though a clear splits only its range', () => {
    // reused-partial: two 1G accesses (root B's at the start; root A's after logging started,
    // which the model maps at 4K, but the estimate cannot tell) and a third at 4K inside B's 1G
    // mapping, counted as that 1G page again: three 1G pages, capped at the two 1G mappings.
    assert.equal(estimateRun(builtinScenario('reused-partial')!, 'check').leafPages, 2 * G);
  });
});

describe('the budget', () => {
  test('the default is at most 4 GiB and at most what the heap holds', () => {
    assert.ok(defaultBudgetBytes() <= 4 * 2 ** 30);
    assert.ok(defaultBudgetBytes() <= heapRoom());
  });

  test('--max-memory takes a whole number of MiB, and refuses the rest with exit 2', () => {
    assert.deepEqual(memoryBudget('16', true), { bytes: 16 * MiB, given: true });
    for (const bad of ['0', '1.5', '-3', 'lots', '1e3', '', String(2 ** 40)]) {
      assert.throws(() => memoryBudget(bad, true), { name: 'UsageError', message: /^--max-memory expects a whole number of MiB from 1 to \d+/ }, bad);
    }
  });

  test("a stop at the runner's cap becomes the user's error, naming the budget", () => {
    const budget = { bytes: MiB, given: true };
    assert.throws(() => withinBudget('x.json', budget, () => { throw new ResourceLimitError(memoryCapMessage(5 * MiB, MiB)); }), {
      name: 'UsageError', message: 'x.json: stopped at the memory cap: 5 MiB in use, over the memory budget of 1 MiB (--max-memory)',
    });
  });
});

describe('refused before anything is built', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-budget-'));

  test('check: a 256 GiB scenario (2^26 pages, inside the page limit) over a 16 MiB budget: exit 2, the estimate and the budget', () => {
    // 2^26 memslot pages at 6 bytes and 2^26 split pages at 150: about 9,984 MiB before the
    // operations. Built, its dirty bitmap alone would be 64 MiB; run, it ends in a heap abort.
    const r = cli('check', guestFile(dir, 256), '--max-memory', '16');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /guest-256g\.scenario\.json: its run would hold about 99\d\d(\.\d)? MiB \(67108864 memslot pages, 67108864 pages split to 4K\) besides the [\d.]+ MiB in use, over the memory budget of 16 MiB \(--max-memory\)/);
    assert.equal(r.out, '');
  });

  test('run and compare refuse it the same way; a small scenario under the same budget runs', () => {
    const file = guestFile(dir, 16);
    for (const cmd of ['run', 'compare']) {
      const r = cli(cmd, file, '--max-memory', '16');
      assert.equal(r.code, 2, `${cmd}: ${r.err}`);
      assert.match(r.err, /over the memory budget of 16 MiB \(--max-memory\)/, cmd);
    }
    // common-1g: a 1 GiB guest split to 4K, about 39 MiB by the estimate: it runs under 100.
    const ok = cli('check', 'common-1g', '--max-memory', '100');
    assert.equal(ok.code, 0, ok.err);
  });

  test('run --json whose text could not be one string: refused, whatever the budget', () => {
    // 8 GiB split: 2^21 leaves, each written twice, about 210 characters a write: 880 million
    // characters, over V8's 2^29 - 24.
    const r = cli('run', '--json', guestFile(dir, 8));
    assert.equal(r.code, 2, r.err);
    // Under --json the refusal is the one JSON error object, on stdout (cli/exit.ts).
    const error = (JSON.parse(r.out) as { error: { code: string; message: string } }).error;
    assert.match(error.message, /its --json trace would be about 88\d million characters .* more than one string can hold/);
  });

  test('patch: a diff of 20,000 lines over a 16 MiB budget: exit 2, its lines and the budget', () => {
    // 20,000 lines at 1,500 bytes a line and 600,073 bytes at 4 a byte: 32,400,292 bytes, about
    // 30.9 MiB, over 16.
    const head = 'diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c\n--- a/arch/x86/kvm/mmu/mmu.c\n+++ b/arch/x86/kvm/mmu/mmu.c\n@@ -21,1 +21,19996 @@ static void drop_large_spte(struct kvm *kvm, u64 *sptep)\n \tdrop_spte(kvm, sptep);\n';
    const file = join(dir, 'long.diff');
    writeFileSync(file, head + '+\tkvm_flush_remote_tlbs(kvm);\n'.repeat(19995));
    const r = cli('patch', file, '--max-memory', '16');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /long\.diff:1: 600073 bytes in 20000 lines would need about 30\.9 MiB to read \(1500 bytes a line\), over the memory budget of 16 MiB \(--max-memory\)/);
  });

  test('the lines of a patch, counted on its bytes', () => {
    assert.equal(countLines(Buffer.from('a\nb\n')), 2);
    assert.equal(countLines(Buffer.from('a\nb')), 2);
    assert.equal(countLines(Buffer.from('')), 0);
    assert.equal(patchBytesNeeded(10, 2), 40 + 2 * PATCH_BYTES_PER_LINE);
  });
});

describe('explore --variant all shares the budget', () => {
  test("the caps of the workers running together sum to at most the budget", () => {
    const bound = { ...DEFAULT_BOUND };
    const reqs = shareBudget(PRESETS.map((p) => ({ variant: parseVariant(p.name), bound })), { bytes: 1000 * MiB, given: true }, 2);
    assert.equal(reqs.length, PRESETS.length);
    // Two at a time, each half: any two running together hold 1000 MiB at most.
    for (const r of reqs) assert.equal(r.maxMemoryBytes, 500 * MiB);
    // One request alone takes the whole budget (nothing else runs beside it).
    assert.equal(shareBudget(reqs.slice(0, 1), { bytes: 1000 * MiB, given: true }, 2)[0].maxMemoryBytes, 1000 * MiB);
  });

  test('end to end: --max-memory 1 gives each worker 0.5 MiB, and each says so', () => {
    // The packed store starts with a chunk of 2^15 states (over 3 MiB: memory_cap.test.ts), so
    // every search stops at its first check, naming its share.
    const r = cli('explore', '--variant', 'all', '--max-memory', '1', '--ops', '2', '--accesses', '1', '--json', '--quiet');
    assert.equal(r.code, 3, r.err);
    const rows = JSON.parse(r.out) as Array<{ variant: string; verdict: string; stopped?: string }>;
    assert.equal(rows.length, PRESETS.length);
    for (const row of rows) {
      assert.equal(row.verdict, 'incomplete', row.variant);
      assert.match(row.stopped ?? '', /the cap is 0\.5 MiB$/, row.variant);
    }
  });
});
