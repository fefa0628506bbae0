/**
 * Scenario files the model cannot mean, each made from the built-in reused-partial by one change,
 * with the refusal expected and where. reused-partial, as the numbers below use it: memslot 0 holds
 * gfns [0x40000, 0x80000) on host pages from 0x440000; root A (top table 0xff000, its level-3 table
 * 0xff001 after it) maps L2 [0, 0x40000) to those gfns with one 1G leaf, root B (0xfe000) maps L2
 * [0x40000, 0x80000) to the same gfns; operations: 0 B writes 0x40000, 1 enable (manualProtect,
 * initiallySet), 2 A writes 0x205, 3 clear "clear" of [0x40200, 0x40400) except 0x40205, paused at
 * "unlock", 4 invalidate 0x40300, 5 B writes 0x40300, 6 resume "clear", 7 get-dirty-log.
 * Shared by scenario_parse.test.ts (the message and its place) and scenario_schema.test.ts (whether
 * the JSON Schema can say it too).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Scenario files are loose JSON here on purpose: the point is to break them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface BadCase {
  what: string;
  /** The check that refuses it (checks.ts), or "reader" for the field-by-field reader. */
  by: string;
  breakIt: (s: Loose) => void;
  /** JSON path and message the refusal must hold. */
  expect: RegExp;
  /** A string on the line the problem must point at, and which occurrence of it (0 = first). */
  at: [string, number];
  /** Can the JSON Schema say it? (scenario_schema.test.ts checks the answer both ways.) */
  schema: boolean;
}

export const BASE: Loose = JSON.parse(readFileSync(join(__dirname, '../../src/scenario/builtin/reused-partial.scenario.json'), 'utf8'));

export const BAD_CASES: BadCase[] = [
  {
    what: 'two memslots whose gfns overlap',
    by: 'memslotsDisjoint',
    // [0x60000, 0xa0000) meets [0x40000, 0x80000): kvm_check_memslot_overlap() is true for slot 1.
    breakIt: (s) => { s.memslots.push({ id: 1, baseGfn: '0x060000', pages: '0x40000', hostPfn: '0x900000' }); },
    expect: /\$\.memslots\[1\]\.baseGfn: KVM_SET_USER_MEMORY_REGION would fail with -EEXIST: memslot 1 \[0x60000, 0xa0000\) overlaps memslot 0 \[0x40000, 0x80000\)/,
    at: ['"0x060000"', 0],
    schema: false,
  },
  {
    what: 'two memslots with one id',
    by: 'memslotIdUnique',
    breakIt: (s) => { s.memslots.push({ id: 0, baseGfn: '0x100000', pages: 512, hostPfn: '0x900000' }); },
    expect: /\$\.memslots\[1\]\.id: slot 0 is already memslot \$\.memslots\[0\]: a second KVM_SET_USER_MEMORY_REGION with slot 0 would modify that memslot, not add one/,
    at: ['"id": 0', 1],
    schema: false,
  },
  {
    what: 'a slot id KVM_SET_USER_MEMORY_REGION refuses',
    by: 'memslotIdInRange',
    // KVM_USER_MEM_SLOTS = SHRT_MAX - 3 = 32764 on x86: 40000 is above it.
    breakIt: (s) => { s.memslots[0].id = 40000; for (const op of s.operations) if ('slot' in op) op.slot = 40000; },
    expect: /\$\.memslots\[0\]\.id: KVM_SET_USER_MEMORY_REGION would fail with -EINVAL: slot 40000 is not below KVM_USER_MEM_SLOTS \(32764 on x86\)/,
    at: ['"id": 40000', 0],
    schema: true,
  },
  {
    what: 'a memslot of 0 pages',
    by: 'memslotSize',
    breakIt: (s) => { s.memslots[0].pages = 0; },
    expect: /\$\.memslots\[0\]\.pages: KVM_SET_USER_MEMORY_REGION with memory_size 0 deletes a memslot, and there is none to delete: it would fail with -EINVAL/,
    at: ['"pages": 0', 0],
    schema: true,
  },
  {
    what: 'a memslot larger than KVM_MEM_MAX_NR_PAGES',
    by: 'memslotSize',
    // 2^31 pages is one more than KVM_MEM_MAX_NR_PAGES, (1 << 31) - 1.
    breakIt: (s) => { s.memslots[0].pages = 2 ** 31; },
    expect: /\$\.memslots\[0\]\.pages: KVM_SET_USER_MEMORY_REGION would fail with -EINVAL: 2147483648 pages is more than KVM_MEM_MAX_NR_PAGES \(2147483647\)/,
    at: ['"pages": 2147483648', 0],
    schema: true,
  },
  {
    what: 'two memslots on the same host pages',
    by: 'memslotBackingDisjoint',
    // Host pages [0x440100, 0x440300) are inside memslot 0's [0x440000, 0x480000).
    breakIt: (s) => { s.memslots.push({ id: 1, baseGfn: '0x100000', pages: 512, hostPfn: '0x440100' }); },
    expect: /\$\.memslots\[1\]\.hostPfn: memslot 1's host pages \[0x440100, 0x440300\) overlap memslot 0's \[0x440000, 0x480000\): KVM accepts two memslots on the same host memory, but the model invalidates by gfn/,
    at: ['"0x440100"', 0],
    schema: false,
  },
  {
    what: 'two mappings of one root over the same L2 page',
    by: 'mappingsDisjoint',
    // A 2M leaf at L2 0x200 lies inside root A's 1G leaf [0, 0x40000).
    breakIt: (s) => { s.roots[0].mappings.push({ l2: '0x200', gfn: '0x40200', size: '2M' }); },
    expect: /\$\.roots\[0\]\.mappings\[1\]\.l2: L2 pages \[0x200, 0x400\) overlap \$\.roots\[0\]\.mappings\[0\] \[0x0, 0x40000\): a guest page table has one entry per address/,
    at: ['"l2": "0x200"', 0],
    schema: false,
  },
  {
    what: 'a guest table whose l2 does not start its range',
    by: 'guestTablesNamedWell',
    // A level-3 table covers 512^3 = 0x8000000 pages of L2: 0x10 is not a multiple of it.
    breakIt: (s) => { s.roots[0].guestTables = [{ level: 3, l2: '0x10', gfn: '0xff100' }]; },
    expect: /\$\.roots\[0\]\.guestTables\[0\]\.l2: a level-3 guest table covers 134217728 pages of L2 from a multiple of 134217728; expected l2 0x0, found 0x10/,
    at: ['"l2": "0x10"', 0],
    schema: false,
  },
  {
    what: 'a guest table named twice',
    by: 'guestTablesNamedWell',
    breakIt: (s) => { s.roots[0].guestTables = [{ level: 3, l2: 0, gfn: '0xff100' }, { level: 3, l2: 0, gfn: '0xff200' }]; },
    expect: /\$\.roots\[0\]\.guestTables\[1\]\.level: the level-3 table for L2 0x0 is already named by \$\.roots\[0\]\.guestTables\[0\]/,
    at: ['"level": 3', 1],
    schema: false,
  },
  {
    what: 'a guest table below a huge leaf',
    by: 'guestTablesNamedWell',
    // Root A maps L2 [0, 0x40000) with a 1G leaf in its level-3 table: no level-2 table is under it.
    breakIt: (s) => { s.roots[0].guestTables = [{ level: 2, l2: 0, gfn: '0xff100' }]; },
    expect: /\$\.roots\[0\]\.guestTables\[0\]\.level: no level-2 table is there: the guest maps L2 \[0x0, 0x40000\) with a 1G leaf/,
    at: ['"level": 2', 0],
    schema: false,
  },
  {
    what: 'one gfn holding two different guest tables',
    by: 'guestTablesConsistent',
    // Root A's level-3 table takes the gfn after its top table, 0xff001; root B's top table there too.
    breakIt: (s) => { s.roots[1].guestTableGfn = '0xff001'; },
    expect: /\$\.roots\[1\]\.guestTableGfn: gfn 0xff001 would hold two different guest tables, root A's level-3 table for L2 \[0x0, 0x8000000\) and root B's top table: one page holds one table/,
    at: ['"0xff001"', 0],
    schema: false,
  },
  {
    what: 'a guest table inside mapped data',
    by: 'guestTablesOutsideData',
    // gfn 0x40010 is inside the 1G both roots map, [0x40000, 0x80000).
    breakIt: (s) => { s.roots[0].guestTableGfn = '0x40010'; },
    expect: /\$\.roots\[0\]\.guestTableGfn: root A's top table is at gfn 0x40010, inside the data \$\.roots\[0\]\.mappings\[0\] maps \(gfns \[0x40000, 0x80000\)\): KVM write-protects a gfn it shadows/,
    at: ['"0x40010"', 0],
    schema: false,
  },
  {
    what: 'an access to an L2 address the root does not map',
    by: 'accessesMeaningful',
    // Root B maps L2 [0x40000, 0x80000): 0x80000 is just past it.
    breakIt: (s) => { s.operations[0].addr = '0x80000'; },
    expect: /\$\.operations\[0\]\.addr: root B has no guest mapping of L2 0x80000: the guest's own tables would refuse the access and KVM would reflect the fault to L1/,
    at: ['"addr": "0x80000"', 0],
    schema: false,
  },
  {
    what: 'a write through a mapping without w',
    by: 'accessesMeaningful',
    breakIt: (s) => { s.roots[1].mappings[0].access = 'ux'; },
    expect: /\$\.operations\[0\]\.kind: \$\.roots\[1\]\.mappings\[0\] does not allow a write \(its access has no w\)/,
    at: ['"kind": "write"', 0],
    schema: false,
  },
  {
    what: 'an access to a gfn no memslot holds (MMIO)',
    by: 'accessesMeaningful',
    // Root B now maps L2 0x40000 to gfn 0x80000, the first gfn after memslot 0.
    breakIt: (s) => { s.roots[1].mappings[0].gfn = '0x80000'; },
    expect: /\$\.operations\[0\]\.addr: L2 0x40000 maps gfn 0x80000, which no memslot holds: KVM would treat the access as MMIO/,
    at: ['"addr": "0x40000"', 0],
    schema: false,
  },
  {
    what: 'a clear whose first page is outside the memslot',
    by: 'clearRangesInSlot',
    // 0x3ffc0 is 64 pages below the memslot; 1024 pages keep the excepted 0x40205 in the range.
    breakIt: (s) => { s.operations[3].first = '0x3ffc0'; s.operations[3].pages = 1024; },
    expect: /\$\.operations\[3\]\.first: KVM_CLEAR_DIRTY_LOG would fail with -EINVAL: first 0x3ffc0 is outside memslot 0 \[0x40000, 0x80000\)/,
    at: ['"0x3ffc0"', 0],
    schema: false,
  },
  {
    what: 'a clear that runs past the end of the memslot',
    by: 'clearRangesInSlot',
    // [0x7ff00, 0x80100) ends 0x100 pages after the memslot's end, 0x80000.
    breakIt: (s) => { s.operations[3].first = '0x7ff00'; delete s.operations[3].except; },
    expect: /\$\.operations\[3\]\.pages: KVM_CLEAR_DIRTY_LOG would fail with -EINVAL: the bitmap \[0x7ff00, 0x80100\) runs past the end of memslot 0/,
    at: ['"pages": 512', 0],
    schema: false,
  },
  {
    what: 'a clear whose first_page, counted from the memslot, is not a multiple of 64',
    by: 'reader',
    // The memslot now starts at 0x40020: first 0x40200 is page 0x1e0 = 480 of it, 480 % 64 = 32.
    breakIt: (s) => { s.memslots[0].baseGfn = '0x40020'; s.memslots[0].pages = '0x3ffe0'; s.memslots[0].hostPfn = '0x440020'; },
    expect: /\$\.operations\[3\]\.first: expected a multiple of 64 pages from the memslot's first page \(KVM_CLEAR_DIRTY_LOG's first_page, counted from baseGfn 0x40020; it would fail with -EINVAL\), found first_page 0x1e0/,
    at: ['"first": "0x40200"', 0],
    schema: false,
  },
  {
    what: 'an excepted gfn outside the range to clear',
    by: 'reader',
    breakIt: (s) => { s.operations[3].except = ['0x40405']; },
    expect: /\$\.operations\[3\]\.except\[0\]: expected a gfn of the range to clear \[0x40200, 0x40400\), found 0x40405/,
    at: ['"0x40405"', 0],
    schema: false,
  },
  {
    what: 'an invalidation of gfns no memslot holds',
    by: 'invalidationsInSlots',
    breakIt: (s) => { s.operations[4].gfn = '0x80000'; },
    expect: /\$\.operations\[4\]\.gfn: gfn 0x80000 of \[0x80000, 0x80001\) is in no memslot: the invalidation of host memory that backs no memslot does not reach KVM/,
    at: ['"gfn": "0x80000"', 0],
    schema: false,
  },
  {
    what: 'dirty logging enabled twice on one memslot',
    by: 'dirtyLogOrder',
    breakIt: (s) => { s.operations.splice(2, 0, { op: 'enable-dirty-logging', slot: 0, manualProtect: true, initiallySet: true, comment: 'again' }); },
    expect: /\$\.operations\[2\]\.op: dirty logging of memslot 0 is already on \(\$\.operations\[1\]\): KVM_SET_USER_MEMORY_REGION with the same flags changes nothing/,
    at: ['"op": "enable-dirty-logging"', 1],
    schema: false,
  },
  {
    what: 'KVM_GET_DIRTY_LOG before dirty logging is on',
    by: 'dirtyLogOrder',
    breakIt: (s) => { s.operations.unshift({ op: 'get-dirty-log', slot: 0 }); },
    expect: /\$\.operations\[0\]\.op: KVM_GET_DIRTY_LOG would fail with -ENOENT: memslot 0 has no dirty bitmap before dirty logging is enabled/,
    at: ['"op": "get-dirty-log"', 0],
    schema: false,
  },
  {
    what: 'KVM_CLEAR_DIRTY_LOG without manual-protect',
    by: 'dirtyLogOrder',
    breakIt: (s) => { s.operations[1].manualProtect = false; s.operations[1].initiallySet = false; },
    expect: /\$\.operations\[3\]\.op: memslot 0's dirty logging was enabled without manualProtect \(\$\.operations\[1\]\): KVM_CLEAR_DIRTY_LOG is the manual-protect mode's ioctl/,
    at: ['"op": "clear-dirty-log"', 0],
    schema: false,
  },
  {
    what: 'a pause on a guest access',
    by: 'pausesReachable',
    breakIt: (s) => { s.operations[0].pause = 'unlock'; },
    expect: /\$\.operations\[0\]\.pause: this pause is never reached: a guest access can only pause its fault at "walked"/,
    at: ['"pause": "unlock"', 0],
    schema: true,
  },
  {
    what: 'a "resched" pause on an invalidation',
    by: 'pausesReachable',
    breakIt: (s) => { s.operations[4].pause = 'resched'; },
    expect: /\$\.operations\[4\]\.pause: this pause is never reached: an invalidation does not split huge pages/,
    at: ['"pause": "resched"', 0],
    schema: false,
  },
  {
    what: 'an "unlock" pause on enabling logging with initiallySet',
    by: 'pausesReachable',
    breakIt: (s) => { s.operations[1].pause = 'unlock'; },
    expect: /\$\.operations\[1\]\.pause: this pause is never reached: with manualProtect and initiallySet, enabling dirty logging neither splits nor write-protects/,
    at: ['"pause": "unlock"', 0],
    schema: false,
  },
  {
    what: 'a "resched" pause under "splitYield": "never"',
    by: 'pausesReachable',
    breakIt: (s) => { s.splitYield = 'never'; s.operations[3].pause = 'resched'; },
    expect: /\$\.operations\[3\]\.pause: this pause is never reached: with "splitYield": "never" the split never drops mmu_lock/,
    at: ['"pause": "resched"', 0],
    schema: false,
  },
  {
    what: 'a resume of an operation that is not paused',
    by: 'pausesReachable',
    breakIt: (s) => { delete s.operations[3].pause; },
    expect: /\$\.operations\[6\]\.target: operation "clear" \(\$\.operations\[3\]\) is not paused here/,
    at: ['"target": "clear"', 0],
    schema: false,
  },
  {
    what: 'a second resume of an operation paused once',
    by: 'pausesReachable',
    breakIt: (s) => { s.operations.push({ op: 'resume', target: 'clear' }); },
    expect: /\$\.operations\[8\]\.target: operation "clear" \(\$\.operations\[3\]\) is not paused here/,
    at: ['"target": "clear"', 1],
    schema: false,
  },
  {
    what: 'an expect key that names no variant',
    by: 'reader',
    breakIt: (s) => { s.expect.v8 = 'pass'; },
    expect: /\$\.expect\.v8: expected a preset \(pre-patch, v7, .*\), a preset with overrides \("v7\+splitFlush=never"\) or policy=value pairs: unknown variant 'v8'/,
    at: ['"v8"', 0],
    schema: true,
  },
  {
    what: 'an expect value other than pass or violation',
    by: 'reader',
    breakIt: (s) => { s.expect.v7 = 'maybe'; },
    expect: /\$\.expect\.v7: expected one of "pass", "violation", "violation:stale-tlb", .*"violation:rmap-disagreement", found "maybe"/,
    at: ['"maybe"', 0],
    schema: true,
  },
  {
    what: 'a variant the tool does not know',
    by: 'reader',
    breakIt: (s) => { s.variant = 'v7+splitFlush=sometimes'; },
    expect: /\$\.variant: expected a preset .*: policy splitFlush cannot be 'sometimes'/,
    at: ['"v7+splitFlush=sometimes"', 0],
    schema: true,
  },
];

/** Files the checks must still accept: what they refuse is only what the model cannot mean. */
export const GOOD_CASES: Array<{ what: string; makeIt: (s: Loose) => void }> = [
  {
    // Same top table, same entries: one table to KVM's SP hash and to the model.
    what: 'two roots sharing their guest tables (same gfns, same entries)',
    makeIt: (s) => { s.roots.push({ name: 'C', guestTableGfn: '0xfe000', mappings: [{ l2: '0x40000', gfn: '0x40000', size: '1G' }] }); },
  },
  {
    what: 'a second memslot beside the first, on host pages of its own',
    makeIt: (s) => { s.memslots.push({ id: 1, baseGfn: '0x80000', pages: '0x40000', hostPfn: '0x480000', hostPageSize: '1G' }); },
  },
  {
    what: 'an expect key that is a composed variant',
    makeIt: (s) => { s.expect['v7+splitFlush=never'] = 'violation'; },
  },
  {
    what: 'a guest mapping partly outside every memslot, accessed only inside',
    makeIt: (s) => { s.memslots[0].pages = '0x20000'; s.operations[1].comment = 'the memslot holds half of the 1G the roots map'; },
  },
];
