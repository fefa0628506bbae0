/**
 * Guest tables that change: the guest walk (FNAME(walk_addr_generic)) over guest memory, the
 * mappings compiled into it, the untrapped guest-table write by the VMM, the fault that walks the
 * new mapping, FNAME(fetch)'s FNAME(gpte_changed) re-check (RET_PF_RETRY) and the injected fault.
 * Every expected value is worked out in the comments beside it (E = 512 page arithmetic: the index
 * at level L of page number a is floor(a / 512^(L-1)) mod 512).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { ScenarioRun } from '../../src/run/runner';
import { initialState } from '../../src/run/initial_state';
import { walkGuest } from '../../src/mmu/guest_walk';
import { compileGuestMemory } from '../../src/scenario/guest_tables';
import { Geometry } from '../../src/kernel/geometry';
import { ACC_ALL, ACC_WRITE_MASK, SPTE_LARGE, SPTE_PRESENT } from '../../src/kernel/spte';
import { findPreset } from '../../src/kernel/variants';
import type { GuestPte, GuestTable } from '../../src/model/state';
import type { Step } from '../../src/model/step';
import type { Scenario } from '../../src/scenario/types';

const HOST = 0x1000000;

/**
 * One root A, top table at gfn 0x10; L2 0x200000 (2 MiB) -> gfn 0x200000 = G1. Its tables:
 * level 4 index floor(0x200000 / 2^27) = 0, level 3 index (0x200000 >> 18) mod 512 = 8, level 2
 * index (0x200000 >> 9) mod 512 = 0x1000 mod 512 = 0. The lower tables take the gfns after the
 * top one: PDPT 0x11, PD 0x12. So PML4[0] -> 0x11, PDPT[8] -> 0x12, PD[0] = huge G1.
 * Memslot 0 holds G1 and G2 = 0x200200 (0x400 pages), backed by 4 KiB host pages from HOST, so
 * KVM maps the guest's 2 MiB page with a direct level-1 SP.
 */
function scenario(ops: string[], extra = ''): Scenario {
  return parseScenario(`{
  "name": "guest-tables", "entries": 512, "variant": "v7", "vcpus": 2, ${extra}
  "memslots": [ { "id": 0, "baseGfn": "0x200000", "pages": "0x400", "hostPfn": "0x${HOST.toString(16)}", "hostPageSize": "4K" } ],
  "roots": [ { "name": "A", "guestTableGfn": "0x10", "mappings": [ { "l2": "0x200000", "gfn": "0x200000", "size": "2M" } ] } ],
  "operations": [
${ops.join(',\n')}
  ]
}`, 'guest-tables.json');
}

const ACCESS = (addr: string, extra = '', vcpu = 0) => `{ "op": "access", "vcpu": ${vcpu}, "root": "A", "addr": "${addr}", "kind": "write"${extra} }`;
const PDE_TO = (entry: string) => `{ "op": "guest-table-write", "by": "vmm", "table": "0x12", "index": 0, "entry": ${entry} }`;

function runAll(s: Scenario, preset = 'v7'): { steps: Step[]; run: ScenarioRun } {
  const run = new ScenarioRun(s, { variant: findPreset(preset)! });
  const steps: Step[] = [];
  let st;
  while ((st = run.step())) steps.push(st);
  return { steps, run };
}

/** Every SPTE write of the run, as "sp#S[i] -> sp#C" or "sp#S[i] = leaf pfn P". */
function writes(steps: Step[]): string[] {
  return steps.flatMap((s) => s.writes.map((w) => {
    if (!(w.newFlags & SPTE_PRESENT)) return `sp#${w.sp}[${w.index}] cleared`;
    const leaf = w.level === 1 || (w.newFlags & SPTE_LARGE) !== 0;
    return leaf ? `sp#${w.sp}[${w.index}] = leaf pfn 0x${w.newTarget.toString(16)}` : `sp#${w.sp}[${w.index}] -> sp#${w.newTarget}`;
  }));
}

function table(level: 1 | 2 | 3 | 4, entries: Array<[number, GuestPte]>): GuestTable {
  return { level, entries: new Map(entries) };
}

test('the mappings compile into guest memory: one table a level on the path, links with every access bit, the leaf as written', () => {
  const s = scenario([]);
  const mem = compileGuestMemory(new Geometry(512), s.roots);
  // The header of scenario() works the indices out: PML4[0] -> 0x11, PDPT[8] -> 0x12, PD[0] = huge G1 ("uwx" = ACC_ALL).
  assert.deepEqual([...mem.keys()].sort((a, b) => a - b), [0x10, 0x11, 0x12]);
  assert.deepEqual(mem.get(0x10), table(4, [[0, { kind: 'table', gfn: 0x11, access: ACC_ALL }]]));
  assert.deepEqual(mem.get(0x11), table(3, [[8, { kind: 'table', gfn: 0x12, access: ACC_ALL }]]));
  assert.deepEqual(mem.get(0x12), table(2, [[0, { kind: 'huge', gfn: 0x200000, access: ACC_ALL }]]));
});

test('FNAME(walk_addr_generic) on hand-built tables: table gfn and index per level, leaf level, gfn and access', () => {
  const state = initialState(scenario([]));
  // addr = 1 * 2^27 + 2 * 2^18 + 3 * 2^9 + 5 = 0x8080605: indices 1 (level 4), 2 (level 3), 3 (level 2), 5 (level 1).
  const addr = 0x8080605;
  const link = (gfn: number): GuestPte => ({ kind: 'table', gfn, access: ACC_ALL });
  const base = (pd: GuestPte) => new Map<number, GuestTable>([
    [0x100, table(4, [[1, link(0x101)]])],
    [0x101, table(3, [[2, link(0x102)]])],
    [0x102, table(2, [[3, pd]])],
    [0x103, table(1, [[5, { kind: 'leaf', gfn: 0x200123, access: ACC_WRITE_MASK }]])],
  ]);

  // A 4 KiB leaf through four tables: walker->table_gfn[level - 1] is the table read at each level,
  // pt_access[level - 1] the access above it (every link has all bits), pte_access the AND of all: w only.
  state.guestMemory = base(link(0x103));
  const w4k = walkGuest(state, 0x100, addr, 'write');
  assert.ok(w4k.ok);
  assert.equal(w4k.walk.level, 1);
  assert.equal(w4k.walk.gfn, 0x200123);
  assert.deepEqual(w4k.walk.tableGfn, [0x103, 0x102, 0x101, 0x100]);
  assert.deepEqual(w4k.walk.index, [5, 3, 2, 1]);
  assert.deepEqual(w4k.walk.ptAccess, [ACC_ALL, ACC_ALL, ACC_ALL, ACC_ALL]);
  assert.equal(w4k.walk.pteAccess, ACC_WRITE_MASK);

  // PD[3] a huge leaf at G2 = 0x200200: the walk ends at level 2, and walker->gfn is the 4 KiB page
  // inside it: addr - round(addr, 2 MiB) = 0x8080605 mod 512 = 5, so 0x200205. Nothing read at level 1.
  state.guestMemory = base({ kind: 'huge', gfn: 0x200200, access: ACC_ALL });
  const w2m = walkGuest(state, 0x100, addr, 'write');
  assert.ok(w2m.ok);
  assert.equal(w2m.walk.level, 2);
  assert.equal(w2m.walk.gfn, 0x200205);
  assert.deepEqual(w2m.walk.tableGfn, [-1, 0x102, 0x101, 0x100]);
  assert.deepEqual(w2m.walk.index, [-1, 3, 2, 1]);

  // Not present at PD[3]: the error names the level-2 table 0x102 and index 3.
  state.guestMemory = base({ kind: 'none', gfn: 0, access: 0 });
  assert.deepEqual(walkGuest(state, 0x100, addr, 'read'), { ok: false, error: { level: 2, tableGfn: 0x102, index: 3, why: 'not-present' } });

  // A read-only leaf refuses a write (permission_fault()), and allows a read.
  state.guestMemory = base({ kind: 'huge', gfn: 0x200200, access: 0 });
  assert.deepEqual(walkGuest(state, 0x100, addr, 'write'), { ok: false, error: { level: 2, tableGfn: 0x102, index: 3, why: 'permission' } });
  assert.ok(walkGuest(state, 0x100, addr, 'read').ok);

  // A link to gfn 0x7777, which holds no table and is in no memslot: the read of the level-1 table fails.
  state.guestMemory = base(link(0x7777));
  assert.deepEqual(walkGuest(state, 0x100, addr, 'read'), { ok: false, error: { level: 1, tableGfn: 0x7777, index: 5, why: 'no-memslot' } });
  // A link to a page of memslot 0 that holds no table reads a zeroed table: not present at level 1.
  state.guestMemory = base(link(0x200300));
  assert.deepEqual(walkGuest(state, 0x100, addr, 'read'), { ok: false, error: { level: 1, tableGfn: 0x200300, index: 5, why: 'not-present' } });
});

test('a VMM write moves the PDE from G1 to G2 with no SPTE change; the next fault walks G2 and installs it in the direct SP it finds', () => {
  const { steps, run } = runAll(scenario([ACCESS('0x200005'), PDE_TO('{ "kind": "huge", "gfn": "0x200200" }'), ACCESS('0x200007')]));
  const byOp = (i: number) => steps.filter((s) => s.op === i);
  // First access, offset 5 of G1: the root is sp#0 (gfn 0x10). The fault links an indirect level-3 SP
  // for table 0x11 (sp#1) at sp#0[0], an indirect level-2 SP for table 0x12 (sp#2) at sp#1[8]; the
  // host backs G1 with 4 KiB pages, so a direct level-1 SP for gfn G1 (sp#3) at sp#2[0], then the leaf
  // sp#3[5] = pfn HOST + 5.
  assert.deepEqual(writes(byOp(0)), ['sp#0[0] -> sp#1', 'sp#1[8] -> sp#2', 'sp#2[0] -> sp#3', `sp#3[5] = leaf pfn 0x${(HOST + 5).toString(16)}`]);
  // The write: one step, by userspace, no SPTE written.
  assert.equal(byOp(1).length, 1);
  assert.equal(byOp(1)[0].kind, 'guest-table-write');
  assert.equal(byOp(1)[0].actor, 'userspace');
  assert.equal(byOp(1)[0].writeCount, 0);
  assert.deepEqual(run.machine.state.guestMemory.get(0x12)!.entries.get(0), { kind: 'huge', gfn: 0x200200, access: ACC_ALL });
  // Second access, offset 7: sp#3[7] is not present, so the CPU faults. The walk now reads PD[0] =
  // huge G2, so walker->gfn = 0x200200 + 7. The shadow descent finds sp#2[0] present and not large:
  // kvm_mmu_get_child_sp() returns -EEXIST (the reuse rule of this era: present, not large) and the
  // leaf goes into sp#3, whose gfn is still G1: sp#3[7] = pfn of 0x200207 = HOST + 0x207. One write.
  assert.deepEqual(writes(byOp(2)), [`sp#3[7] = leaf pfn 0x${(HOST + 0x207).toString(16)}`]);
  assert.ok(byOp(2).some((s) => /leaf gfn 0x200207/.test(s.text)), 'the install names the walk\'s gfn');
  // The retried access fills the TLB for the gfn the leaf was installed for: 0x200207, not G1 + 7.
  assert.match(byOp(2).at(-1)!.tlbFilled ?? '', /gfn 0x200207 pfn 0x1000207/);
});

test('childReuse through a VMM write: after the PDE moves to G2, mainline-2026-pre reuses the child for G1, mainline-2026-gfn links a new one and zaps and flushes the old link', () => {
  const ops = [ACCESS('0x200005'), PDE_TO('{ "kind": "huge", "gfn": "0x200200" }'), ACCESS('0x200007')];
  // The first access writes what it writes under v7 (the test above): sp#0..sp#2 for the tables
  // 0x10..0x12, sp#3 direct for G1, leaf sp#3[5]. childReuse plays no part: nothing is linked yet.
  const first = ['sp#0[0] -> sp#1', 'sp#1[8] -> sp#2', 'sp#2[0] -> sp#3', `sp#3[5] = leaf pfn 0x${(HOST + 5).toString(16)}`];

  // mainline-2026-pre (childReuse=present, before 0cb2af2ea66a): at sp#2[0] the present, not large
  // SPTE is -EEXIST whatever its child's gfn; the walk's gfn 0x200207 lands in sp#3, built for G1:
  // one write, sp#3[7] = pfn of 0x200207 = HOST + 0x207, in the SP whose computed gfn for index 7 is
  // G1 + 7 = 0x200007 (the "unexpected GFN" report's mismatch).
  const pre = runAll(scenario(ops), 'mainline-2026-pre');
  assert.deepEqual(writes(pre.steps), [...first, `sp#3[7] = leaf pfn 0x${(HOST + 0x207).toString(16)}`]);
  assert.equal(pre.run.machine.state.sps[3].gfn, 0x200000, 'the leaf for 0x200207 sits in the SP for G1');

  // mainline-2026-gfn (childReuse=gfn, linkPresent=zap-and-flush, 0cb2af2ea66a): sp#1 (gfn 0x11) and
  // sp#2 (gfn 0x12) match the walk's table gfns and are reused. At sp#2[0] the fault asks for a direct
  // level-1 SP for round(0x200207, 2M) = G2 = 0x200200; the linked sp#3 has gfn G1: not reused.
  // kvm_mmu_get_child_sp() allocates sp#4 for G2; link_shadow_page() meets the present SPTE:
  // __link_shadow_page() zaps it: mmu_page_zap_pte() clears sp#2[0] (drop_parent_pte()), which
  // leaves sp#3 without a parent, so (nested SPs) kvm_mmu_prepare_zap_page(sp#3) clears its leaf
  // sp#3[5]; kvm_mmu_remote_flush_or_zap() commits: flushes all TLBs, frees sp#3; then the link
  // sp#2[0] -> sp#4; the leaf goes to sp#4[7] = HOST + 0x207, in the SP whose computed gfn for
  // index 7 is G2 + 7.
  const gfn = runAll(scenario(ops), 'mainline-2026-gfn');
  assert.deepEqual(writes(gfn.steps), [...first, 'sp#2[0] cleared', 'sp#3[5] cleared', 'sp#2[0] -> sp#4', `sp#4[7] = leaf pfn 0x${(HOST + 0x207).toString(16)}`]);
  const state = gfn.run.machine.state;
  assert.equal(state.sps[4].gfn, 0x200200);
  assert.deepEqual(state.sps[3].parentPtes, [], 'drop_parent_pte() took sp#2[0] off the old child');
  assert.equal(state.sps[3].freed, true, 'the parentless child is zapped and freed at the commit');
  const third = gfn.steps.filter((s) => s.op === 2);
  const cleared = third.findIndex((s) => s.kind === 'drop-spte' && s.anchor.fn === 'link_shadow_page');
  const flush = third.findIndex((s) => s.kind === 'flush' && s.anchor.stmt.startsWith('kvm_mmu_remote_flush_or_zap('));
  assert.ok(cleared >= 0 && flush === cleared + 1, 'the zap, then the unconditional flush, before the link');
  assert.equal(state.sps[3].freedAt, third[flush].index, 'freed by the commit, after its flush');
  // The flush removed vCPU 0's TLB entry for L2 0x200005 (filled by the first access from sp#3[5]):
  // the one left is the retried access's, for gfn 0x200207.
  assert.deepEqual(state.vcpus[0].tlb.map((t) => t.gfnBase), [0x200207]);
});

test('a VMM write between a fault\'s walk and its mmu_lock: FNAME(gpte_changed) returns RET_PF_RETRY, and the retried fault maps G2', () => {
  const { steps } = runAll(scenario([ACCESS('0x200005', ', "id": "f", "pause": "walked"'), PDE_TO('{ "kind": "huge", "gfn": "0x200200" }'), '{ "op": "resume", "target": "f" }']));
  // The fault walked PD[0] = huge G1 and stopped before its lock; the write changed PD[0] to G2.
  // Resumed, FNAME(fetch) re-reads PML4[0] (top level) and, after getting sp#1 for table 0x11,
  // PDPT[8]: both unchanged, so sp#0[0] -> sp#1 is linked. At shadow level 3 it gets sp#2 for table
  // 0x12 and re-reads PD[0]: changed, RET_PF_RETRY before link_shadow_page(). Nothing else is written.
  const retry = steps.find((s) => /RET_PF_RETRY/.test(s.text));
  assert.ok(retry, 'a RET_PF_RETRY step');
  assert.equal(retry.anchor.fn, 'FNAME(fetch)');
  assert.match(retry.text, /FNAME\(gpte_changed\)\(vcpu, gw, 2\): entry 0 of the level-2 guest table at gfn 0x12 was huge leaf gfn 0x200000 when the fault walked it and is now huge leaf gfn 0x200200/);
  assert.equal(retry.writeCount, 0);
  const unlockAfter = steps[steps.indexOf(retry) + 1];
  assert.equal(unlockAfter.kind, 'unlock');
  // The access is retried: the CPU finds sp#1[8] not present, faults again, walks G2 (gfn 0x200205):
  // sp#2 comes back from the hash, PD[0] matches the new walk, sp#1[8] -> sp#2 is linked, then a direct
  // SP for G2 (sp#3, gfn 0x200200) and the leaf sp#3[5] = pfn HOST + 0x205. G1's page is never mapped.
  assert.deepEqual(writes(steps), ['sp#0[0] -> sp#1', 'sp#1[8] -> sp#2', 'sp#2[0] -> sp#3', `sp#3[5] = leaf pfn 0x${(HOST + 0x205).toString(16)}`]);
  assert.ok(steps.some((s) => /reuses sp#2 \(indirect, level 2, gfn 0x12\)/.test(s.text)), 'the unlinked SP is found in the hash');
  assert.match(steps.at(-1)!.tlbFilled ?? '', /gfn 0x200205 pfn 0x1000205/);
});

test('a walk that finds no present entry injects the fault into the guest: one step, no lock, no SPTE change, the access ends', () => {
  const { steps, run } = runAll(scenario([ACCESS('0x200005'), PDE_TO('{ "kind": "none" }'), ACCESS('0x200100', '', 1), ACCESS('0x200005', '', 1)]));
  // vCPU 1's access to offset 0x100 misses in the shadow tables (only sp#3[5] is present), faults,
  // and the walk stops at PD[0], not present: FNAME(page_fault) injects the fault, RET_PF_RETRY, no mmu_lock.
  const third = steps.filter((s) => s.op === 2);
  assert.deepEqual(third.map((s) => s.kind), ['access-fault', 'note']);
  assert.equal(third[1].anchor.fn, 'FNAME(page_fault)');
  assert.match(third[1].text, /not present.*kvm_inject_emulated_page_fault/);
  assert.equal(third[1].lockHeld, false);
  assert.equal(third[1].writeCount, 0);
  // Offset 5 is still mapped by sp#3[5]: the CPU never asks the guest tables, so vCPU 1 fills its TLB
  // from the SPTE (KVM has not seen the write: it was not trapped).
  const fourth = steps.filter((s) => s.op === 3);
  assert.deepEqual(fourth.map((s) => s.kind), ['tlb-fill']);
  assert.ok(run.finished);
});

test('the reader: "by": "guest" names its vCPU and a table above level 1; a write must name a table the guest has and an entry its level can hold', () => {
  const problems = (ops: string[]) => {
    try { scenario(ops); } catch (e) { if (e instanceof ScenarioError) return e.problems; throw e; }
    return [];
  };
  // Operation lines start at line 6 of the file scenario() writes (five header lines: {, name, memslots, roots, operations).
  // A guest's store is some vCPU's: without "vcpu" the reader says so at the "by" field's line.
  const guest = problems(['{ "op": "guest-table-write", "by": "guest", "table": "0x12", "index": 0, "entry": { "kind": "none" } }']);
  assert.equal(guest.length, 1);
  assert.equal(guest[0].line, 6);
  assert.equal(guest[0].path, '$.operations[0].vcpu');
  assert.match(guest[0].message, /store by one vCPU: expected a "vcpu" field/);
  // The VMM is no vCPU.
  assert.match(problems(['{ "op": "guest-table-write", "by": "vmm", "vcpu": 0, "table": "0x12", "index": 0, "entry": { "kind": "none" } }'])[0].message, /runs on no vCPU/);
  // With its vCPU it is accepted (the PD 0x12 is a level-2 table)...
  assert.deepEqual(problems(['{ "op": "guest-table-write", "by": "guest", "vcpu": 0, "table": "0x12", "index": 0, "entry": { "kind": "none" } }']), []);
  // ...but a vCPU the scenario does not have is refused (it has 2),
  assert.match(problems(['{ "op": "guest-table-write", "by": "guest", "vcpu": 2, "table": "0x12", "index": 0, "entry": { "kind": "none" } }'])[0].message, /vCPU index below 2/);
  // and so is a pause other than { afterSteps }: the window is reached by step count.
  assert.match(problems(['{ "op": "guest-table-write", "by": "guest", "vcpu": 0, "table": "0x12", "index": 0, "entry": { "kind": "none" }, "pause": "unlock" }'])[0].message, /afterSteps/);
  assert.match(problems([PDE_TO('{ "kind": "leaf", "gfn": "0x200200" }')])[0].message, /level-2 table cannot hold a "leaf" entry/);
  assert.match(problems(['{ "op": "guest-table-write", "by": "vmm", "table": "0x13", "index": 0, "entry": { "kind": "none" } }'])[0].message, /gfn 0x13 holds no guest page table.*0x10, 0x11, 0x12/);
  // 0x200100 is not on a 2 MiB boundary (0x200100 mod 512 = 256).
  assert.match(problems([PDE_TO('{ "kind": "huge", "gfn": "0x200100" }')])[0].message, /multiple of 512 pages/);
  // A link from the PD (level 2) must reach a level-1 table: 0x11 is the level-3 one.
  assert.match(problems([PDE_TO('{ "kind": "table", "gfn": "0x11" }')])[0].message, /holds a level-3 table/);
  // A huge page at 0 would cover the tables at 0x10..0x12.
  assert.match(problems([PDE_TO('{ "kind": "huge", "gfn": "0" }')])[0].message, /hold the guest table at gfn 0x10/);
  // After the write, L2 0x200005 maps 0x400005, which no memslot holds: MMIO, refused.
  assert.match(problems([PDE_TO('{ "kind": "huge", "gfn": "0x400000" }'), ACCESS('0x200005')])[0].message, /maps gfn 0x400005, which no memslot holds/);
  // "walked" belongs to a guest access only; a write has nothing to pause at.
  assert.match(problems(['{ "op": "invalidate", "gfn": "0x200000", "pause": "walked" }'])[0].message, /only a guest access's fault walks/);
  assert.match(problems(['{ "op": "guest-table-write", "by": "vmm", "table": "0x12", "index": 0, "entry": { "kind": "none" }, "pause": "unlock" }'])[0].message, /one store/);
});

test('a fault paused after its walk is not resumed into an invalidation of its gfn in progress (is_page_fault_stale)', () => {
  // The fault walked L2 0x200005 -> gfn 0x200005; an invalidation of that gfn stops after its unlock,
  // before range_end (mmu_invalidate_in_progress): under mmu_lock the kernel's fault would retry
  // until it ends, as the runner already says for a fault that starts there.
  const s = scenario([ACCESS('0x200005', ', "id": "f", "pause": "walked"'), '{ "op": "invalidate", "id": "i", "gfn": "0x200005", "pause": "unlock" }', '{ "op": "resume", "target": "f" }']);
  assert.throws(() => runAll(s), /operation 2 .*gfn 0x200005 would retry until the mmu-notifier invalidation of it ends/);
});

test('a fault paused after its walk retries when an invalidation of another page ended meanwhile (mmu_invalidate_seq moved)', () => {
  // The fault walked L2 0x200005 -> gfn 0x200005 and stopped after kvm_mmu_faultin_pfn() read
  // mmu_invalidate_seq (docs/locking.md: where the stopped fault stands). An invalidation of gfn
  // 0x200100, another page, then runs whole: range_end's kvm_mmu_invalidate_end() bumps the
  // sequence. Resumed, the fault takes mmu_lock and is_page_fault_stale() ->
  // mmu_invalidate_retry_gfn() sees the sequence moved: RET_PF_RETRY, no SPTE written.
  const { steps } = runAll(scenario([ACCESS('0x200005', ', "id": "f", "pause": "walked"'), '{ "op": "invalidate", "gfn": "0x200100" }', '{ "op": "resume", "target": "f" }']));
  const retry = steps.find((s) => /mmu_invalidate_seq moved/.test(s.text));
  assert.ok(retry, 'the resumed fault is sent back for the sequence');
  assert.equal(retry.writeCount, 0);
  // The access is retried: nothing was mapped before (the invalidation found no SPTE), so the
  // fault builds the whole path, sp#0[0] -> sp#1 (table 0x11), sp#1[8] -> sp#2 (table 0x12),
  // sp#2[0] -> sp#3 (direct, G1) and the leaf sp#3[5]. Gfn 0x200005 was not invalidated, so its
  // host page is still HOST + 5.
  assert.deepEqual(writes(steps), ['sp#0[0] -> sp#1', 'sp#1[8] -> sp#2', 'sp#2[0] -> sp#3', `sp#3[5] = leaf pfn 0x${(HOST + 5).toString(16)}`]);
  assert.ok(steps.indexOf(retry) < steps.findIndex((s) => s.writeCount > 0), 'the retry comes before any write');
});

test('the invalidation range is the hull of those in progress: it stays after one of them ends (kvm_mmu_invalidate_range_add())', () => {
  // i1 invalidates gfn 0x200005, i2 gfn 0x200100; both stop after their unlock, so both are in
  // progress and the range is [0x200005, 0x200101). i1 then ends; i2 is still in progress, and the
  // kernel does not narrow the range, so a fault on 0x200005 (i1's own page, no longer being
  // invalidated by anyone) still lies in it and would retry.
  const s = scenario(['{ "op": "invalidate", "id": "i1", "gfn": "0x200005", "pause": "unlock" }', '{ "op": "invalidate", "id": "i2", "gfn": "0x200100", "pause": "unlock" }', '{ "op": "resume", "target": "i1" }', ACCESS('0x200005')]);
  assert.throws(() => runAll(s), /operation 3 .*gfn 0x200005 would retry until the mmu-notifier invalidation of it ends \(it lies in the range of the invalidations in progress/);
  // Without i2 the range is gone when i1 ends, and the same access maps the page.
  const alone = scenario(['{ "op": "invalidate", "id": "i1", "gfn": "0x200005", "pause": "unlock" }', '{ "op": "resume", "target": "i1" }', ACCESS('0x200005')]);
  assert.equal(writes(runAll(alone).steps).length, 4, 'the access builds its path and its leaf');
});

/**
 * The "unexpected role" setup as a file: `guestMemory` writes out a level-1 guest table at G1 =
 * 0x200000, the first page of the guest's 2 MiB data page, whose entry 7 maps Q = 0x200300. The VMM
 * then points PD[0] at it: the guest's 4K pages of L2 0x200000.. are now G1's entries.
 */
const ROLE_MEMORY = '"guestMemory": [ { "gfn": "0x200000", "level": 1, "entries": { "7": { "kind": "leaf", "gfn": "0x200300" } } } ],';

test('guestMemory: data read as a guest table; childReuse=gfn reuses the direct SP for G1 where the fault needs an indirect one, gfn-role does not', () => {
  const ops = [ACCESS('0x200005'), PDE_TO('{ "kind": "table", "gfn": "0x200000" }'), ACCESS('0x200007')];
  // The first access is as above: sp#0..sp#2 for the tables 0x10..0x12, sp#3 direct for G1, leaf
  // sp#3[5] = HOST + 5. The second walks PD[0] = table G1, then G1's entry 7 = leaf Q = 0x200300,
  // whose host page is HOST + 0x300 (the memslot starts at G1).
  const first = ['sp#0[0] -> sp#1', 'sp#1[8] -> sp#2', 'sp#2[0] -> sp#3', `sp#3[5] = leaf pfn 0x${(HOST + 5).toString(16)}`];
  const q = `leaf pfn 0x${(HOST + 0x300).toString(16)}`;
  // mainline-2026-gfn: at sp#2[0] the fault asks for an indirect level-1 SP for table gfn G1; the
  // linked sp#3 has gfn G1 (direct): the gfn test passes, -EEXIST, the leaf goes into sp#3[7], whose
  // computed gfn is G1 + 7 = 0x200007, not Q (the "unexpected role" report's mismatch).
  const gfn = runAll(scenario(ops, ROLE_MEMORY), 'mainline-2026-gfn');
  assert.deepEqual(writes(gfn.steps), [...first, `sp#3[7] = ${q}`]);
  // mainline-2026: role.word differs (direct 1 against 0): sp#4, indirect, is allocated for G1;
  // __link_shadow_page() zaps sp#2[0] (mmu_page_zap_pte() -> drop_parent_pte()); sp#3, a nested
  // (guest_mode) child left with no parent, is zapped too (its leaf sp#3[5] cleared); the flush
  // commits it, then sp#2[0] -> sp#4 is linked; the leaf is sp#4[7].
  const both = runAll(scenario(ops, ROLE_MEMORY), 'mainline-2026');
  assert.deepEqual(writes(both.steps), [...first, 'sp#2[0] cleared', 'sp#3[5] cleared', 'sp#2[0] -> sp#4', `sp#4[7] = ${q}`]);
  assert.ok(both.run.machine.state.sps[3].freed, 'the zapped child is freed by the flush\'s commit');
  const sp4 = both.run.machine.state.sps[4];
  assert.deepEqual({ gfn: sp4.gfn, level: sp4.role.level, direct: sp4.role.direct }, { gfn: 0x200000, level: 1, direct: false });
});

test('the reader: a guestMemory table at a gfn of its own, with entries its level can hold, at indexes below E', () => {
  const problems = (extra: string) => {
    try { scenario([], extra); } catch (e) { if (e instanceof ScenarioError) return e.problems; throw e; }
    return [];
  };
  const one = (t: string) => `"guestMemory": [ ${t} ],`;
  assert.deepEqual(problems(ROLE_MEMORY), []);
  // 0x12 is the PD the mapping compiles to: it is changed with guest-table-write, not written out.
  assert.match(problems(one('{ "gfn": "0x12", "level": 2, "entries": {} }'))[0].message, /gfn 0x12 already holds the level-2 table/);
  assert.match(problems(one('{ "gfn": "0x300", "level": 1, "entries": { "0": { "kind": "huge", "gfn": "0" } } }'))[0].message, /level-1 table cannot hold a "huge" entry/);
  assert.match(problems(one('{ "gfn": "0x300", "level": 1, "entries": { "512": { "kind": "none" } } }'))[0].message, /index below 512, found 512/);
  assert.equal(problems(one('{ "gfn": "0x300", "level": 1, "entries": { "x": { "kind": "none" } } }'))[0].path, '$.guestMemory[0].entries.x');
  assert.match(problems('"guestMemory": [ { "gfn": "0x300", "level": 1, "entries": {} }, { "gfn": "0x300", "level": 1, "entries": {} } ],')[0].message, /already written out by \$\.guestMemory\[0\]/);
  assert.match(problems(one('{ "gfn": "0x300", "level": 5, "entries": {} }'))[0].message, /from 1 to 4, found 5/);
});
