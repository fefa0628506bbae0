/**
 * Data breakpoints through the Debug Adapter Protocol, as VS Code sends them: `dataBreakpointInfo`
 * for a variable of a container the session handed out (what "Break on Value Change" asks) or for
 * a watch expression, `setDataBreakpoints` (the whole set), and the stops.
 *
 * The scenario is the built-in reused-partial (docs/scenarios.md; test/unit/debug_session.test.ts
 * has its steps in short). The writes to B's level-3 table entry 1 (sp#2[1]: gfn 0x40000 / 1 GiB
 * per entry at level 3 = index 1), in order:
 *   - step 2: vCPU 0's fault allocates sp#2 (kvm_mmu_get_child_sp()): before, there is no sp#2;
 *   - step 3: mmu_set_spte() installs the 1G leaf gfn 0x40000 -> pfn 0x440000 (the host backs
 *     gfn g at pfn g + 0x400000), writable;
 *   - step 25: the split's drop_large_spte() clears it;
 *   - step 27: __link_shadow_page() points it at the reused level-2 SP, sp#4.
 * Nothing after step 27 writes it: the rest of KVM_CLEAR_DIRTY_LOG write-protects level-1 and
 * level-2 leaves (28-43), the invalidation of gfn 0x40300 finds no SPTE in the rmaps (44-48; the
 * 4K SPTEs of the split child are for 0x40200's region only, and B's 1 GiB SPTE is gone), then
 * the flush and the dirty-log ioctls write no SPTE.
 * vCPU 0's TLB for L2 page 0x40000: filled at step 5 (the retried access finds the 1G leaf), and
 * removed by the first flush that is issued: under v7 drop_large_spte()'s own flush, step 26; under
 * never-flush that one is skipped, and the entry lives until kvm_clear_dirty_log_protect()'s
 * flush after the mmu_lock release, step 50 (after the invalidation 44-48 and vCPU 0's access
 * through the stale entry, 49).
 *
 * A forward stop is after the writing step (position step + 1: the Variables view shows the new
 * value); a reverse stop is before it (position step: the old value), as docs/debugging.md says.
 *
 * The DAP client is test/support/dap_client.ts, shared with debug_session.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchArguments } from '../../src/debug/session';
import { DapClient, type Body } from '../support/dap_client';

const MMU_C = join(__dirname, '..', 'fixtures', 'kernel', 'arch/x86/kvm/mmu/mmu.c');
const SOURCES = [{ path: MMU_C, text: readFileSync(MMU_C, 'utf8') }];
/** The fixture mmu.c's `sp = shadow_mmu_get_sp_for_split(kvm, huge_sptep);`: the split's get-sp, step 21. */
const GET_SP_LINE = 193;
const IOCTL = 1;
const VCPU0 = 3;
const HUGE_SPTE = 'spte:2:1';
const VCPU0_TLB = 'tlb:0:0x40000';

class Client extends DapClient {
  /** A scope of the top frame of `thread`: its variablesReference and its variables by name. */
  scope(thread: number, name: string): { ref: number; vars: Map<string, Body> } {
    const ref = this.scopeRef(thread, name);
    return { ref, vars: this.children(ref) };
  }

  info(args: Body): Body {
    return this.ok('dataBreakpointInfo', args);
  }
}

function launched(extra: Partial<LaunchArguments> = {}): Client {
  const c = new Client();
  c.ok('initialize', { adapterID: 'kvm-mmu-lab' });
  c.ok('launch', { scenario: 'reused-partial', variant: 'never-flush', sources: SOURCES, ...extra });
  return c;
}

/** Launched, configured with the get-sp line breakpoint, and stopped there (before step 21). */
function atGetSp(extra: Partial<LaunchArguments> = {}): Client {
  const c = launched(extra);
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [{ line: GET_SP_LINE }] });
  c.stop('configurationDone');
  c.stop('continue');
  assert.equal(c.session.position.pos, 21);
  // Only the data breakpoints from here on.
  c.ok('setBreakpoints', { source: { path: MMU_C }, breakpoints: [] });
  return c;
}

test('initialize says supportsDataBreakpoints', () => {
  const c = new Client();
  assert.equal(c.ok('initialize').supportsDataBreakpoints, true);
});

test("Break on Value Change on the split's huge SPTE: the Variables view's *huge_sptep and sp#2's spt[1] are one dataId, write only", () => {
  const c = atGetSp();
  const locals = c.scope(IOCTL, 'Locals');
  const fromLocal = c.info({ variablesReference: locals.ref, name: '*huge_sptep' });
  assert.deepEqual(fromLocal, { dataId: HUGE_SPTE, description: '*huge_sptep (sp#2.spt[1])', accessTypes: ['write'], canPersist: false });
  // The same entry through Shadow pages > sp#2 > spt > [1] (the container the client pages).
  const sp2 = c.scope(IOCTL, 'Shadow pages').vars.get('sp#2')!;
  const spt = c.children(sp2.variablesReference).get('spt')!;
  assert.equal(c.info({ variablesReference: spt.variablesReference, name: '[1]' }).dataId, HUGE_SPTE);
  // And as a watch expression, by its own name.
  assert.equal(c.info({ name: 'sp#2.spt[1]' }).dataId, HUGE_SPTE);
});

test("a data breakpoint on sp#2[1] stops after the split's drop (step 25) and link (27), each saying old -> new and the step; then the run ends", () => {
  const c = atGetSp();
  const [bp] = c.ok('setDataBreakpoints', { breakpoints: [{ dataId: HUGE_SPTE, accessType: 'write' }] }).breakpoints as Body[];
  assert.equal(bp.verified, true);
  let hit = c.stop('continue');
  assert.equal(hit.reason, 'data breakpoint');
  assert.deepEqual(hit.hitBreakpointIds, [bp.id]);
  assert.equal(c.session.position.pos, 26, 'stopped after step 25, the drop');
  assert.equal(hit.description, "sp#2.spt[1]: '1G leaf pfn 0x440000 W' -> 'not present', by step 25 in drop_large_spte()");
  assert.equal(hit.threadId, IOCTL, 'the writer, KVM_CLEAR_DIRTY_LOG, is the thread stopped');
  assert.equal(c.eval('sp#2.spt[1]'), 'not present', 'the Variables view shows the value after the write');
  hit = c.stop('continue');
  assert.equal(c.session.position.pos, 28);
  assert.equal(hit.description, "sp#2.spt[1]: 'not present' -> '-> sp#4', by step 27 in __link_shadow_page()");
  assert.equal(c.stop('continue').reason, 'end', 'nothing after step 27 writes sp#2[1]');
});

test("a data breakpoint on vCPU 0's TLB entry stops at the flush that removes it: v7's drop_large_spte() flush (26); under never-flush the ioctl's flush (50)", () => {
  let c = atGetSp({ variant: 'v7' });
  // From the Variables view: TLBs > vCPU 0 > tlb#1 (filled at step 5), watched as vCPU 0's translation of its first page.
  const vcpu0 = c.scope(IOCTL, 'TLBs').vars.get('vCPU 0')!;
  const info = c.info({ variablesReference: vcpu0.variablesReference, name: 'tlb#1' });
  assert.equal(info.dataId, VCPU0_TLB);
  assert.equal(info.description, 'tlb#1 (tlb(0, 0x40000))');
  const [bp] = c.ok('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId }] }).breakpoints as Body[];
  let hit = c.stop('continue');
  assert.deepEqual(hit.hitBreakpointIds, [bp.id]);
  assert.equal(c.session.position.pos, 27);
  assert.equal(hit.description, "tlb(0, 0x40000): 'tlb#1: 1G via root B at 0x40000, gfn 0x40000 pfn 0x440000 WX' -> 'no entry', by step 26 in drop_large_spte()");

  c = atGetSp();
  c.ok('setDataBreakpoints', { breakpoints: [{ dataId: VCPU0_TLB }] });
  hit = c.stop('continue');
  assert.equal(c.session.position.pos, 51, 'the skipped flush of step 26 removes nothing; the flush of step 50 does');
  assert.match(hit.description, /-> 'no entry', by step 50 in kvm_clear_dirty_log_protect\(\)$/);
});

test('a watch expression naming a TLB entry that is not there yet can be watched: it stops at the fill (step 5)', () => {
  const c = launched();
  const info = c.info({ name: 'tlb(0, 0x40000)' });
  assert.equal(info.dataId, VCPU0_TLB);
  c.ok('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId }] });
  c.stop('configurationDone');
  const hit = c.stop('continue');
  assert.equal(c.session.position.pos, 6);
  assert.equal(hit.threadId, VCPU0);
  assert.equal(hit.description, "tlb(0, 0x40000): 'no entry' -> 'tlb#1: 1G via root B at 0x40000, gfn 0x40000 pfn 0x440000 WX', by step 5 in page walk");
});

test('reverse continue stops before the last change; step back stops at a write it undoes', () => {
  const c = launched({ variant: 'v7' });
  c.ok('setDataBreakpoints', { breakpoints: [{ dataId: HUGE_SPTE }, { dataId: VCPU0_TLB }] });
  c.stop('configurationDone');
  // From the end back: the link (27), v7's flush (26), the drop (25), the fill (5), the 1G leaf (3), sp#2's allocation (2).
  assert.equal(c.stop('continue').reason, 'data breakpoint');
  while (c.stop('continue').reason !== 'end');
  const back: Array<[number, string]> = [];
  for (let hit = c.stop('reverseContinue'); hit.reason === 'data breakpoint'; hit = c.stop('reverseContinue')) back.push([c.session.position.pos, hit.description]);
  assert.deepEqual(back.map(([p]) => p), [27, 26, 25, 5, 3, 2]);
  assert.match(back[0][1], /by step 27 in __link_shadow_page\(\)$/);
  assert.match(back[5][1], /^sp#2\.spt\[1\]: 'no sp#2' -> 'not present', by step 2 in FNAME\(fetch\)$/);
  assert.equal(c.session.position.pos, 0, 'past the first change: the entry');

  // Forward again to after the drop (stops after steps 2, 3, 5, 25), then back: before the drop, the old value.
  for (let i = 0; i < 4; i++) c.stop('continue');
  assert.equal(c.session.position.pos, 26);
  assert.equal(c.stop('reverseContinue').reason, 'data breakpoint');
  assert.equal(c.session.position.pos, 25);
  assert.equal(c.eval('sp#2.spt[1]'), '1G leaf pfn 0x440000 W');
});

test('step back over a write stops at it: back from after the link, not over the whole split to step 18', () => {
  const c = atGetSp();
  c.ok('setDataBreakpoints', { breakpoints: [{ dataId: HUGE_SPTE }] });
  c.stop('continue'); c.stop('continue');
  assert.equal(c.session.position.pos, 28);
  // Without data breakpoints step back from 28 goes to 18 (debug_session.test.ts: 19-27 are deeper
  // than the write-protect's depth); it undoes the link at 27 on the way, so it stops before it.
  let hit = c.stop('stepBack');
  assert.equal(hit.reason, 'data breakpoint');
  assert.equal(c.session.position.pos, 27);
  assert.equal(c.eval('sp#2.spt[1]'), 'not present');
  // From __link_shadow_page()'s 27 step back goes to the split loop's 24 (depth 10); it undoes the drop at 25 first.
  hit = c.stop('stepBack');
  assert.equal(c.session.position.pos, 25);
  assert.match(hit.description, /by step 25 in drop_large_spte\(\)$/);
  // With no data breakpoint left, step back is plain again: to the loop's last step, 24.
  c.ok('setDataBreakpoints', { breakpoints: [] });
  assert.equal(c.stop('stepBack').reason, 'step');
  assert.equal(c.session.position.pos, 24);
});

test('what cannot be watched gets no dataId and says why', () => {
  const c = atGetSp();
  const locals = c.scope(IOCTL, 'Locals');
  const why = (args: Body) => {
    const info = c.info(args);
    assert.equal(info.dataId, null, `${JSON.stringify(args)} should not be watchable`);
    return info.description as string;
  };
  // The pointer local, a field of a shadow page, the lock: not an SPTE or a TLB entry.
  assert.match(why({ variablesReference: locals.ref, name: 'huge_sptep' }), /^huge_sptep cannot be watched: only an SPTE \(sp#N\.spt\[i\], \*huge_sptep\) or what a vCPU's TLB holds/);
  assert.match(why({ name: 'sp#4.gfn' }), /^sp#4\.gfn cannot be watched/);
  assert.match(why({ name: 'mmu_lock' }), /^mmu_lock cannot be watched/);
  // An expression that does not parse: the parser's error, with its column.
  assert.equal(why({ name: 'sp#4.spt[' }), "sp#4.spt[ cannot be watched: at column 10: expected a number after '[' (decimal or 0x hex), found the end of the expression");
  assert.match(why({ name: '0x40000', asAddress: true }), /no memory addresses/);
  assert.match(why({ variablesReference: 9999, name: '[1]' }), /no variables under reference 9999/);
});

test('setDataBreakpoints: an unknown dataId, a read access and an SP the run never allocates are unverified; the set replaces the last', () => {
  const c = atGetSp();
  const bps = c.ok('setDataBreakpoints', { breakpoints: [
    { dataId: 'rax' }, { dataId: HUGE_SPTE, accessType: 'read' }, { dataId: HUGE_SPTE, accessType: 'readWrite' }, { dataId: 'spte:99:1' }, { dataId: 'tlb:7:0x0' }, { dataId: VCPU0_TLB },
  ] }).breakpoints as Body[];
  assert.deepEqual(bps.map((b) => b.verified), [false, false, false, false, false, true]);
  assert.match(bps[0].message, /^rax is not a data breakpoint id this session gave/);
  assert.match(bps[1].message, /^only writes are watched \(accessType 'write'\)/);
  // The run's shadow pages: roots sp#0, sp#1, then sp#2..sp#5 by the two faults; the split reuses sp#4 and allocates none.
  assert.equal(bps[3].message, 'the run never allocates sp#99 (its shadow pages are sp#0 to sp#5)');
  assert.equal(bps[4].message, 'there is no vCPU 7 (the scenario has 2)');
  // Only the TLB's is set: the huge SPTE's changes at 25 and 27 pass; the flush at 50 stops.
  assert.deepEqual(c.stop('continue').hitBreakpointIds, [bps[5].id]);
  assert.equal(c.session.position.pos, 51);
  // An empty set clears them: back to the entry with no stop on the way.
  c.ok('setDataBreakpoints', { breakpoints: [] });
  assert.equal(c.stop('reverseContinue').reason, 'entry');
});

test('step over stops at a data breakpoint on the way: next from the loop over the link stops after the drop', () => {
  const c = atGetSp();
  c.ok('setDataBreakpoints', { breakpoints: [{ dataId: HUGE_SPTE }] });
  // 21 -> 22 -> 23 -> 24 (the loop, depth 10); without data breakpoints the next `next` goes over
  // the link (25-27, deeper) to 28 (debug_session.test.ts). The drop at 25 is on the way.
  for (let i = 0; i < 3; i++) c.stop('next');
  assert.equal(c.session.position.pos, 24);
  const hit = c.stop('next');
  assert.equal(hit.reason, 'data breakpoint');
  assert.equal(c.session.position.pos, 26);
});
