/**
 * The walk as a debug session, driven as VS Code drives it: Debug Adapter Protocol messages in,
 * responses and events out. The scenario is the built-in reused-partial under never-flush, whose
 * steps (docs/scenarios.md) are, in short: vCPU 0 faults via root B and caches a writable 1G
 * translation of gfn 0x40000 (steps 0-5); dirty logging starts (6-8); vCPU 1 faults on p = gfn
 * 0x40205 via root A, creating direct SPs at levels 2 and 1 (9-16); KVM_CLEAR_DIRTY_LOG takes
 * mmu_lock (17), clears a word (18), drops the lock to top up its caches (19, 20), and splits B's
 * huge SPTE: get-sp reuses A's level-2 SP (21), the loop (22-24), drop_large_spte() drops the
 * huge SPTE (25) and skips its flush under never-flush (26), links (27), write-protects and
 * clears the rest (28-42), releases mmu_lock (43: the stale-TLB check fails there), ...
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchArguments } from '../../src/debug/session';
import { DapClient, type Body } from '../support/dap_client';

const KERNEL = join(__dirname, '..', 'fixtures', 'kernel');
const MMU_C = join(KERNEL, 'arch/x86/kvm/mmu/mmu.c');
const TMPL_H = join(KERNEL, 'arch/x86/kvm/mmu/paging_tmpl.h');
const SOURCES = [MMU_C, TMPL_H].map((path) => ({ path, text: readFileSync(path, 'utf8') }));
/** Lines of the fixture mmu.c: `sp = shadow_mmu_get_sp_for_split(kvm, huge_sptep);` and `drop_large_spte(kvm, sptep, flush);` in __link_shadow_page. */
const GET_SP_LINE = 193;
/** paging_tmpl.h: FNAME(fetch)'s `sp = kvm_mmu_get_child_sp(vcpu, it.sptep, table_gfn,`. */
const FETCH_INDIRECT_LINE = 93;

class Client extends DapClient {
  /** The variables of a scope of the top frame of `thread`, by name. */
  scope(thread: number, name: string): Map<string, Body> {
    return this.children(this.scopeRef(thread, name));
  }
}

function launched(extra: Partial<LaunchArguments> = {}): Client {
  const c = new Client();
  c.ok('initialize', { adapterID: 'kvm-mmu-lab' });
  const { events } = c.send('launch', { scenario: 'reused-partial', variant: 'never-flush', sources: SOURCES, ...extra });
  assert.ok(events.some((e) => e.event === 'initialized'), 'the session says initialized once launched');
  return c;
}

const IOCTL = 1;
const VCPU0 = 3;

test('a line breakpoint on the split\'s get-sp stops before step 21, with the kernel call path and the source lines', () => {
  const c = launched();
  const [bp] = c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] }).breakpoints as Body[];
  assert.equal(bp.verified, true);
  c.ok('setExceptionBreakpoints', { filters: [] });
  const entry = c.stop('configurationDone');
  assert.equal(entry.reason, 'entry');
  const hit = c.stop('continue');
  assert.equal(hit.reason, 'breakpoint');
  assert.deepEqual(hit.hitBreakpointIds, [bp.id]);
  // KVM_CLEAR_DIRTY_LOG runs on the VMM's ioctl thread; the position is before step 21.
  assert.equal(hit.threadId, IOCTL);
  assert.equal(c.session.position.pos, 21);
  const frames = c.ok('stackTrace', { threadId: IOCTL }).stackFrames as Body[];
  assert.deepEqual(frames.map((f) => f.name), [
    'shadow_mmu_split_huge_page', 'shadow_mmu_try_split_huge_page', 'shadow_mmu_try_split_huge_pages', 'slot_handle_level_range',
    'kvm_shadow_mmu_try_split_huge_pages', 'kvm_mmu_try_split_huge_pages', 'kvm_arch_mmu_enable_log_dirty_pt_masked',
    'kvm_clear_dirty_log_protect', 'kvm_vm_ioctl_clear_dirty_log', 'kvm_vm_ioctl',
  ]);
  // The top frame is the anchored statement; shadow_mmu_try_split_huge_page() at its call (line 244
  // of the fixture); kvm_arch_mmu_enable_log_dirty_pt_masked() at its call of the split (line 125).
  assert.equal(frames[0].line, GET_SP_LINE);
  assert.equal(frames[0].source.path, MMU_C);
  assert.equal(frames[1].line, 244);
  assert.equal(frames[6].line, 125);
  // kvm_main.c was not given: its frames have no source.
  assert.equal(frames[7].source, undefined);
  // vCPU 0 and 1 are idle (their accesses are done, the next has not started); the notifier has not run.
  assert.deepEqual(c.ok('stackTrace', { threadId: VCPU0 }).stackFrames, []);
});

test('a line with no modelled step is unverified, saying which lines are; a file not given says so', () => {
  const c = launched();
  const bps = c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: 5 }, { line: GET_SP_LINE }] }).breakpoints as Body[];
  assert.equal(bps[0].verified, false);
  assert.match(bps[0].message, /no modelled step is anchored at line 5 of mmu\.c; the nearest are lines/);
  assert.equal(bps[1].verified, true);
  const [other] = c.ok('setBreakpoints', { source: { path: '/tree/virt/kvm/kvm_main.c' }, breakpoints: [{ line: 10 }] }).breakpoints as Body[];
  assert.equal(other.verified, false);
  assert.match(other.message, /kvm_main\.c is not one of the files/);
});

test('a breakpoint in paging_tmpl.h stops vCPU 0 in FNAME(fetch) under FNAME(page_fault)', () => {
  const c = launched();
  c.ok('setBreakpoints', { source: { path: TMPL_H }, breakpoints: [{ line: FETCH_INDIRECT_LINE }] });
  c.stop('configurationDone');
  const hit = c.stop('continue');
  // Step 2 is vCPU 0's first descent step: step 0 the access that faults, step 1 write_lock.
  assert.equal(c.session.position.pos, 2);
  assert.equal(hit.threadId, VCPU0);
  const names = (c.ok('stackTrace', { threadId: VCPU0 }).stackFrames as Body[]).map((f) => f.name);
  assert.deepEqual(names, ['FNAME(fetch)', 'FNAME(page_fault)', 'kvm_mmu_do_page_fault', 'kvm_mmu_page_fault']);
});

test('variables: the reused SP, its table paged, the locals, and what the last step changed', () => {
  const c = launched();
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] });
  c.stop('configurationDone');
  c.stop('continue');
  // Before step 21 the split has found B's huge SPTE (sp#2[1]: level 3, index 0x40000 / 0x40000 = 1) and has no child yet.
  let locals = c.scope(IOCTL, 'Locals');
  assert.equal(locals.get('huge_sptep')!.value, 'sp#2[1]');
  assert.equal(locals.get('*huge_sptep')!.value, '1G leaf pfn 0x440000 W');
  assert.equal(locals.get('sp')!.value, 'NULL');
  // Shadow pages: roots A, B (sp#0, sp#1), B's and A's level-3 SPs (sp#2, sp#3), and vCPU 1's direct
  // SPs: level 2 at gfn 0x40000 (sp#4), level 1 at gfn 0x40200 (sp#5, p's 2 MiB region).
  const sps = c.scope(IOCTL, 'Shadow pages');
  assert.deepEqual([...sps.keys()], ['sp#0', 'sp#1', 'sp#2', 'sp#3', 'sp#4', 'sp#5']);
  const sp4 = sps.get('sp#4')!;
  assert.equal(sp4.value, 'level 2 direct gfn 0x40000, 1 of 512 present');
  const fields = new Map((c.ok('variables', { variablesReference: sp4.variablesReference }).variables as Body[]).map((v) => [v.name, v]));
  const spt = fields.get('spt')!;
  assert.equal(spt.indexedVariables, 512, 'the table is paged, 512 entries');
  // Only entry 1 is present: p = 0x40205 is in the second 2 MiB region ((0x40205 - 0x40000) / 512 = 1), -> sp#5.
  const page = c.ok('variables', { variablesReference: spt.variablesReference, filter: 'indexed', start: 0, count: 3 }).variables as Body[];
  assert.deepEqual(page.map((v) => [v.name, v.value]), [['[0]', 'not present'], ['[1]', '-> sp#5'], ['[2]', 'not present']]);
  // Step 21 (get-sp) reuses sp#4 from the hash: `sp` changes from NULL, and is marked.
  c.stop('stepIn');
  locals = c.scope(IOCTL, 'Locals');
  assert.equal(locals.get('sp')!.value, 'sp#4');
  assert.deepEqual(locals.get('sp')!.presentationHint, { attributes: ['changed'] });
  assert.equal(locals.get('huge_sptep')!.presentationHint, undefined, 'huge_sptep did not change');
});

test('stepBack returns to the previous step\'s state; reverseContinue to the previous breakpoint', () => {
  const c = launched();
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] });
  c.stop('configurationDone');
  c.stop('continue');
  // Step over the loop to just after the drop of the huge SPTE (step 25): sp#2[1] is gone.
  for (let i = 0; i < 5; i++) c.stop('stepIn');
  assert.equal(c.session.position.pos, 26);
  assert.equal(c.eval('sp#2.spt[1]'), 'not present');
  const before = c.stop('stepBack');
  assert.equal(before.reason, 'step');
  assert.equal(c.session.position.pos, 25);
  assert.equal(c.eval('sp#2.spt[1]'), '1G leaf pfn 0x440000 W', 'before the drop, B still maps the 1 GiB page');
  const back = c.stop('reverseContinue');
  assert.equal(back.reason, 'breakpoint');
  assert.equal(c.session.position.pos, 21);
});

test('step over stays in the function; step out returns to the caller\'s next step', () => {
  const c = launched();
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] });
  c.stop('configurationDone');
  c.stop('continue');
  // Depths: the ioctl's path to kvm_arch_mmu_enable_log_dirty_pt_masked() is 4 frames; the split
  // adds kvm_mmu_try_split_huge_pages() .. shadow_mmu_split_huge_page() (get-sp and the loop, 21-24,
  // depth 10); drop_large_spte() (25, 26) is depth 12 under __link_shadow_page() (27, depth 11);
  // the write-protect of 28 is kvm_mmu_write_protect_pt_masked(), depth 5.
  c.stop('next');
  assert.equal(c.session.position.pos, 22);
  c.stop('next'); c.stop('next');
  assert.equal(c.session.position.pos, 24);
  // Over the link (25-27, deeper) to the first step at depth <= 10: 28.
  c.stop('next');
  assert.equal(c.session.position.pos, 28);
  // Back over the whole split (19-27, deeper than 5) to the word cleared before it: 18.
  c.stop('stepBack');
  assert.equal(c.session.position.pos, 18);
  // Into the split again and out of drop_large_spte(): to __link_shadow_page()'s step 27.
  for (let i = 0; i < 7; i++) c.stop('stepIn');
  assert.equal(c.session.position.pos, 25);
  c.stop('stepOut');
  assert.equal(c.session.position.pos, 27);
});

test('function breakpoints by kernel name; an unknown name is unverified', () => {
  const c = launched();
  const bps = c.ok('setFunctionBreakpoints', { breakpoints: [{ name: 'drop_large_spte' }, { name: 'no_such_fn' }] }).breakpoints as Body[];
  assert.equal(bps[0].verified, true);
  assert.equal(bps[1].verified, false);
  assert.match(bps[1].message, /no function named no_such_fn/);
  c.stop('configurationDone');
  const hit = c.stop('continue');
  assert.equal(hit.reason, 'function breakpoint');
  // The first step in drop_large_spte() is the drop of B's huge SPTE, step 25.
  assert.equal(c.session.position.pos, 25);
});

test('exception breakpoints: the skipped flush, every mmu_lock release, the violation', () => {
  let c = launched();
  c.ok('setExceptionBreakpoints', { filters: ['skipped-flush'] });
  c.stop('configurationDone');
  let hit = c.stop('continue');
  // never-flush skips drop_large_spte()'s flush at step 26: the stop is before it.
  assert.equal(hit.reason, 'exception');
  assert.equal(hit.description, 'Skipped flush');
  assert.equal(c.session.position.pos, 26);
  assert.match(hit.text, /skipped/);

  c = launched();
  c.ok('setExceptionBreakpoints', { filters: ['mmu-lock-release'] });
  c.stop('configurationDone');
  hit = c.stop('continue');
  // The first release is vCPU 0's fault's write_unlock, step 4 (lock at 1).
  assert.equal(c.session.position.pos, 4);
  assert.equal(hit.threadId, VCPU0);
  c.stop('continue');
  assert.equal(c.session.position.pos, 15, "vCPU 1's fault's write_unlock");

  c = launched();
  c.ok('setExceptionBreakpoints', { filters: ['violation'] });
  c.stop('configurationDone');
  hit = c.stop('continue');
  // The stale-TLB check fails at KVM_CLEAR_DIRTY_LOG's unlock (step 43): vCPU 0's 1G entry, filled
  // writable at step 5, still covers gfn 0x40200, which the tables stopped mapping at step 25.
  assert.equal(hit.description, 'Violation: stale-tlb');
  assert.equal(c.session.position.pos, 44, 'stopped after the step whose check failed');
  assert.equal(hit.threadId, IOCTL);
  assert.match(hit.text, /vCPU 0 .*gfn 0x40200.*step 25.*step 26 was skipped/);
  assert.equal(c.eval('tlb(0, 0x40300)'), 'tlb#1: 1G B 0x40000 -> gfn 0x40000 pfn 0x440000 WX (filled at step 5)');
  // v7 flushes at step 26: the same filters find no violation, and the run ends.
  c = launched({ variant: 'v7' });
  c.ok('setExceptionBreakpoints', { filters: ['violation'] });
  c.stop('configurationDone');
  assert.equal(c.stop('continue').reason, 'end');
});

test('evaluate: the documented forms, and errors that say what was expected', () => {
  const c = launched();
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] });
  c.stop('configurationDone');
  c.stop('continue');
  assert.equal(c.eval('sp#4.spt[1]'), '-> sp#5');
  assert.equal(c.eval('sp#4.role.level'), '2');
  assert.equal(c.eval('sp#0x4.gfn'), '0x40000');
  assert.equal(c.eval('flush'), 'false', "the split's flush before its loop");
  assert.equal(c.eval('huge_sptep'), 'sp#2[1]');
  assert.equal(c.eval('mmu_lock'), 'held (write)');
  assert.equal(c.eval('tlb(1, 0x205)'), 'tlb#2: 4K A 0x205 -> gfn 0x40205 pfn 0x440205 WX (filled at step 16)');
  // p is mapped at 4K by sp#5[5] (0x40205 - 0x40200 = 5), and B's huge SPTE sp#2[1] is filed in
  // the 1G rmap of the frame 0x40000..0x7ffff, which holds p too.
  assert.equal(c.eval('rmap(0x40205)'), 'level 1: sp#5[5]; level 3: sp#2[1]');
  const err = (e: string) => {
    const { response } = c.send('evaluate', { expression: e, context: 'watch' });
    assert.equal(response.success, false, `${e} should fail`);
    return response.message!;
  };
  assert.equal(err('sp#4.spt['), "at column 10: expected a number after '[' (decimal or 0x hex), found the end of the expression");
  assert.equal(err('sp#4.spt[512]'), 'at column 10: index 512 is past the end: spt has 512 entries');
  assert.equal(err('sp#99'), 'at column 1: there is no sp#99 at this step (shadow pages are sp#0 to sp#5)');
  assert.match(err('sp#4.colour'), /^at column 6: sp#4 has no field 'colour'; expected one of gfn, role, /);
  assert.match(err('tlb(0'), /^at column 6: expected ',' or '\)', found the end/);
  assert.match(err('window.alert(1)'), /^at column 1: 'window' is not a local/);
  assert.match(err('1 + 1'), /^at column 3: unexpected '\+'/);
});

test('launch refuses an unknown built-in, naming the built-ins', () => {
  const c = new Client();
  c.ok('initialize');
  const { response } = c.send('launch', { scenario: 'no-such' });
  assert.equal(response.success, false);
  assert.match(response.message!, /'no-such' is not a built-in scenario \(the built-ins: common-1g, reused-partial, reused-leaf, uaf-unexpected-gfn, uaf-unexpected-role, trapped-write-safe\)/);
});

test('stopAt (Debug the Split Here) stops first before the first step in that function', () => {
  const c = launched({ stopAt: 'shadow_mmu_split_huge_page' });
  const first = c.stop('configurationDone');
  // The first step in shadow_mmu_split_huge_page() is its get-sp, step 21.
  assert.equal(first.reason, 'entry');
  assert.equal(c.session.position.pos, 21);
});
