/**
 * The machine as the Variables view and watch expressions see it: a tree of nodes computed from a
 * point of the run, children computed only when asked (a table's 512 entries are paged by the
 * client with `start`/`count`). The same tree answers the expression language (expr.ts): `sp#4`
 * is a node, `.spt` a child, `[1]` an entry. Values are short kernel-word strings; a value the last
 * step changed is found by computing the same node at the point before and comparing the text.
 */
import { hex, type Geometry } from '../kernel/geometry';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK, describeSpte } from '../kernel/spte';
import { sptepIndex, sptepSp, type KvmMmuPage, type MmuState, type Sptep, type TlbEntry } from '../model/state';
import type { OpFrame, SplitFrame } from '../model/frames';
import type { RunSnapshot } from '../run/runner';
import type { WatchTarget } from './watch';

/** What a node is computed from: the machine after some steps, and the operation whose locals are shown. */
export interface Point {
  snap: RunSnapshot;
  /** The frame of the operation the selected stack frame belongs to, when it is in flight. */
  frame?: OpFrame;
  /** The kernel functions on that operation's stack: inside the split, the locals are the split's. */
  stack?: readonly string[];
}

const SPLIT_FUNCTIONS = ['shadow_mmu_split_huge_page', 'shadow_mmu_try_split_huge_page', '__link_shadow_page', 'drop_large_spte'];

export type Kids =
  | { kind: 'named'; of: (p: Point) => Node[] }
  | { kind: 'indexed'; count: (p: Point) => number; item: (p: Point, i: number) => Node };

export interface Node {
  name: string;
  value: string;
  evaluateName?: string;
  kids?: Kids;
  /** What a data breakpoint on this node watches (an SPTE, a TLB's translation of an address); absent: it cannot be watched. */
  watch?: WatchTarget;
}

/** The child called `name` ('[i]' for a table's entry) of a container at a point. */
export function childNamed(kids: Kids, p: Point, name: string): Node | undefined {
  if (kids.kind === 'named') return kids.of(p).find((n) => n.name === name);
  const m = /^\[(\d+)\]$/.exec(name);
  const i = m ? Number(m[1]) : -1;
  return i >= 0 && i < kids.count(p) ? kids.item(p, i) : undefined;
}

const named = (of: (p: Point) => Node[]): Kids => ({ kind: 'named', of });
const leaf = (name: string, value: string, evaluateName?: string): Node => ({ name, value, ...(evaluateName ? { evaluateName } : {}) });

function acc(access: number): string {
  return `${access & ACC_USER_MASK ? 'u' : '-'}${access & ACC_WRITE_MASK ? 'w' : '-'}${access & ACC_EXEC_MASK ? 'x' : '-'}`;
}

export function sptepName(s: MmuState, sptep: Sptep): string {
  return `sp#${sptepSp(s, sptep)}[${sptepIndex(s, sptep)}]`;
}

function spteText(geo: Geometry, sp: KvmMmuPage, i: number): string {
  return describeSpte(sp.flags[i], sp.target[i], sp.role.level, (l) => geo.sizeName(l));
}

function spSummary(s: MmuState, sp: KvmMmuPage): string {
  let present = 0;
  for (const f of sp.flags) if (f & 1) present++;
  const kind = sp.role.direct ? 'direct' : 'indirect';
  const state = sp.freed ? ', freed' : sp.invalid ? ', invalid' : '';
  return `level ${sp.role.level} ${kind} gfn ${hex(sp.gfn)}, ${present} of ${s.geo.entries} present${sp.isRoot ? `, root ${sp.rootName}` : ''}${state}`;
}

/** One shadow page (kvm_mmu_page): its role, gfn, parents and its table, by id (stable across points). */
export function spNode(s: MmuState, id: number): Node | undefined {
  const name = `sp#${id}`;
  const sp = (p: Point) => p.snap.state.sps[id];
  if (!s.sps[id]) return undefined;
  return {
    name,
    value: spSummary(s, s.sps[id]),
    evaluateName: name,
    kids: named((p) => {
      const x = sp(p);
      if (!x) return [];
      const s = p.snap.state;
      return [
        leaf('gfn', hex(x.gfn), `${name}.gfn`),
        {
          name: 'role', value: `level ${x.role.level}, ${x.role.direct ? 'direct' : 'indirect'}, access ${acc(x.role.access)}`, evaluateName: `${name}.role`,
          kids: named((q) => {
            const y = sp(q);
            return y ? [leaf('level', String(y.role.level), `${name}.role.level`), leaf('direct', String(y.role.direct), `${name}.role.direct`), leaf('access', acc(y.role.access), `${name}.role.access`), leaf('invalid', String(y.invalid), `${name}.role.invalid`)] : [];
          }),
        },
        leaf('parent_ptes', x.parentPtes.map((pp) => sptepName(s, pp)).join(', ') || 'none', `${name}.parent_ptes`),
        leaf('root_count', String(x.rootCount), `${name}.root_count`),
        leaf('mmu_valid_gen', String(x.mmuValidGen), `${name}.mmu_valid_gen`),
        leaf('freed', x.freed ? `at step ${x.freedAt}` : 'no', `${name}.freed`),
        {
          name: 'spt', value: `${s.geo.entries} entries`, evaluateName: `${name}.spt`,
          kids: {
            kind: 'indexed',
            count: (q) => (sp(q) ? q.snap.state.geo.entries : 0),
            item: (q, i) => ({ ...leaf(`[${i}]`, spteText(q.snap.state.geo, sp(q)!, i), `${name}.spt[${i}]`), watch: { kind: 'spte', sp: id, index: i } }),
          },
        },
      ];
    }),
  };
}

function tlbText(s: MmuState, e: TlbEntry): string {
  return `${s.geo.sizeName(e.level)} ${e.root} ${hex(e.l2Base)} -> gfn ${hex(e.gfnBase)} pfn ${hex(e.pfnBase)} ${e.writable ? 'W' : 'R'}${e.exec ? 'X' : ''} (filled at step ${e.filledAt})`;
}

/** vCPU v's TLB: one child per entry, named by its stable id. */
export function tlbNode(s: MmuState, v: number): Node {
  return {
    name: `vCPU ${v}`, value: tlbValue(s, v), evaluateName: `tlb(${v})`,
    // An entry is watched as the vCPU's translation of its first address: a flush that removes it, or a refill, changes that.
    kids: named((p) => (p.snap.state.vcpus[v]?.tlb ?? []).map((e) => ({ ...leaf(`tlb#${e.id}`, tlbText(p.snap.state, e), `tlb(${v}, ${hex(e.l2Base)})`), watch: { kind: 'tlb', vcpu: v, addr: e.l2Base } }))),
  };
}

export function tlbValue(s: MmuState, v: number): string {
  const n = s.vcpus[v]?.tlb.length ?? 0;
  return `${n} ${n === 1 ? 'entry' : 'entries'}`;
}

/** The entry of vCPU v's TLB that translates L2 address `addr` (a page number), as the hardware would find it. */
export function tlbLookup(s: MmuState, v: number, addr: number): string {
  const e = s.vcpus[v]?.tlb.find((t) => t.l2Base <= addr && addr < t.l2Base + s.geo.pages(t.level));
  return e ? `tlb#${e.id}: ${tlbText(s, e)}` : `no entry of vCPU ${v} covers ${hex(addr)}`;
}

/** The SPTEs filed in the rmaps for `gfn`, each level. */
export function rmapOf(s: MmuState, gfn: number): string {
  const slot = s.memslots.find((m) => m.baseGfn <= gfn && gfn < m.baseGfn + m.npages);
  if (!slot) return `no memslot holds gfn ${hex(gfn)}`;
  const parts: string[] = [];
  for (let level = 1; level <= 3; level++) {
    const r = slot.rmap[level];
    if (!r) continue;
    const frame = Math.floor((gfn - slot.baseGfn) / s.geo.pages(level));
    const spteps = [...(r.head[frame] ? [r.head[frame] - 1] : []), ...(r.more.get(frame) ?? [])];
    if (spteps.length) parts.push(`level ${level}: ${spteps.map((x) => sptepName(s, x)).join(', ')}`);
  }
  return parts.join('; ') || `no SPTE is filed for gfn ${hex(gfn)}`;
}

export function dirtyBit(s: MmuState, gfn: number): string {
  const slot = s.memslots.find((m) => m.baseGfn <= gfn && gfn < m.baseGfn + m.npages);
  if (!slot) return `no memslot holds gfn ${hex(gfn)}`;
  return String(slot.dirtyBitmap[gfn - slot.baseGfn] ? 1 : 0);
}

export function memslotNode(s: MmuState, index: number): Node | undefined {
  const slot = (p: Point) => p.snap.state.memslots[index];
  const name = `memslot(${index})`;
  const m0 = s.memslots[index];
  if (!m0) return undefined;
  return {
    name: `slot ${index}`, value: `id ${m0.id}, gfn ${hex(m0.baseGfn)}, ${hex(m0.npages)} pages${m0.logDirty ? ', dirty logging' : ''}`, evaluateName: name,
    kids: named((p) => {
      const m = slot(p);
      if (!m) return [];
      return [
        leaf('id', String(m.id)),
        leaf('base_gfn', hex(m.baseGfn)),
        leaf('npages', hex(m.npages)),
        leaf('KVM_MEM_LOG_DIRTY_PAGES', String(m.logDirty)),
        leaf('manual_protect', String(m.manualProtect)),
        leaf('initially_set', String(m.initiallySet)),
        leaf('KVM_MEMSLOT_INVALID', String(m.invalid ?? false)),
        {
          name: 'dirty_bitmap', value: `${m.npages} bits`,
          kids: { kind: 'indexed', count: (q) => slot(q)?.npages ?? 0, item: (q, i) => leaf(`[${i}]`, `${slot(q)!.dirtyBitmap[i] ? 1 : 0} (gfn ${hex(slot(q)!.baseGfn + i)})`, `dirty(${hex(slot(q)!.baseGfn + i)})`) },
        },
        {
          name: 'rmaps', value: '',
          kids: named((q) => {
            const s = q.snap.state;
            const ms = slot(q)!;
            const out: Node[] = [];
            for (let level = 1; level <= 3; level++) {
              const r = ms.rmap[level];
              if (!r) continue;
              for (let f = 0; f < r.head.length; f++) {
                if (!r.head[f]) continue;
                const gfn = ms.baseGfn + f * s.geo.pages(level);
                const spteps = [r.head[f] - 1, ...(r.more.get(f) ?? [])];
                out.push(leaf(`level ${level} gfn ${hex(gfn)}`, spteps.map((x) => sptepName(s, x)).join(', '), `rmap(${hex(gfn)})`));
              }
            }
            return out;
          }),
        },
      ];
    }),
  };
}

/** The split's locals as shadow_mmu_split_huge_page() names them. */
function splitLocals(s: MmuState, f: SplitFrame): Node[] {
  const out: Node[] = [];
  if (f.huge >= 0) {
    const hsp = s.sps[sptepSp(s, f.huge)];
    out.push(leaf('huge_sptep', sptepName(s, f.huge), 'huge_sptep'));
    if (hsp) out.push({ ...leaf('*huge_sptep', spteText(s.geo, hsp, sptepIndex(s, f.huge)), '*huge_sptep'), watch: { kind: 'spte', sp: hsp.id, index: sptepIndex(s, f.huge) } });
  }
  const sp = f.child >= 0 ? s.sps[f.child] : undefined;
  out.push(leaf('sp', sp ? `sp#${f.child}` : 'NULL', 'sp'));
  out.push(leaf('index', String(f.index), 'index'));
  if (sp) out.push(leaf('gfn', hex(sp.gfn + f.index * s.geo.pages(sp.role.level)), 'gfn'));
  out.push(leaf('flush', String(f.flush), 'flush'));
  out.push(leaf('level', String(f.level), 'level'));
  return out;
}

/** The in-flight operation's locals, in the kernel's names where the model keeps the same thing. */
export function localsOf(p: Point): Node[] {
  const f = p.frame;
  if (!f) return [];
  const s = p.snap.state;
  // In the split, the locals are shadow_mmu_split_huge_page()'s (its `flush` is not the ioctl's).
  const inSplit = p.stack?.some((fn) => SPLIT_FUNCTIONS.includes(fn)) ?? false;
  const out: Node[] = [leaf('(operation)', `${f.label} at ${f.pc}`)];
  switch (f.kind) {
    case 'fault':
      out.push(leaf('fault->addr', hex(f.addr)), leaf('access', f.access), leaf('root', f.root));
      if (f.pendingChild >= 0) out.push(leaf('sp', `sp#${f.pendingChild}`, 'sp'));
      break;
    case 'enable-dirty-logging':
      if (f.split && inSplit) out.push(...splitLocals(s, f.split));
      else out.push(leaf('slot', String(f.slot)));
      break;
    case 'clear-dirty-log':
      if (f.split && inSplit) out.push(...splitLocals(s, f.split));
      else {
        out.push(leaf('slot', String(f.slot)), leaf('i', String(f.word), 'i'), leaf('flush', String(f.flush), 'flush'));
        if (f.mask[f.word] !== undefined) out.push(leaf('mask', hex(f.mask[f.word]), 'mask'));
      }
      break;
    case 'get-dirty-log':
      out.push(leaf('slot', String(f.slot)), leaf('i', String(f.word), 'i'), leaf('flush', String(f.flush), 'flush'));
      break;
    case 'invalidate':
      out.push(leaf('range->start', hex(f.gfn)), leaf('range->end', hex(f.gfn + f.npages)));
      break;
    case 'delete-memslot':
      out.push(leaf('invalid_list', f.invalidList.map((x) => `sp#${x}`).join(', ') || 'empty'));
      break;
    case 'guest-table-write':
      out.push(leaf('table', hex(f.table)), leaf('index', String(f.index), 'index'));
      break;
  }
  return out;
}

/** The scopes of a stopped frame: the operation's locals, then the machine by kind of object. */
export function scopeNodes(): Node[] {
  return [
    { name: 'Locals', value: '', kids: named(localsOf) },
    { name: 'Shadow pages', value: '', kids: named((p) => p.snap.state.sps.filter((x) => !x.freed).map((x) => spNode(p.snap.state, x.id)!)) },
    { name: 'TLBs', value: '', kids: named((p) => p.snap.state.vcpus.map((v) => tlbNode(p.snap.state, v.id))) },
    { name: 'Memslots (rmaps, dirty bitmap)', value: '', kids: named((p) => p.snap.state.memslots.map((_, i) => memslotNode(p.snap.state, i)!)) },
    {
      name: 'Guest tables', value: '',
      kids: named((p) => [...p.snap.state.guestMemory].sort((a, b) => a[0] - b[0]).map(([gfn, t]) => ({
        name: `table ${hex(gfn)}`, value: `level ${t.level}, ${t.entries.size} present`,
        kids: named((q) => [...(q.snap.state.guestMemory.get(gfn)?.entries ?? [])].sort((a, b) => a[0] - b[0]).map(([i, e]) => leaf(`[${i}]`, e.kind === 'none' ? 'not present' : `${e.kind} gfn ${hex(e.gfn)} ${acc(e.access)}`))),
      }))),
    },
    {
      name: 'Host and VM', value: '',
      kids: named((p) => {
        const s = p.snap.state;
        return [
          leaf('mmu_lock', s.mmuLockHeld ? 'held (write)' : 'free', 'mmu_lock'),
          leaf('mmu_valid_gen', String(s.mmuValidGen)),
          leaf('freed host pfns', s.freedPfns.map(([a, b]) => `[${hex(a)}, ${hex(b)})`).join(', ') || 'none'),
          leaf('vm_bugged', s.vmBuggedAt >= 0 ? `at step ${s.vmBuggedAt}` : 'no'),
          leaf('host oops', s.hostOops ? `at step ${s.hostOops.step}: ${s.hostOops.message}` : 'no'),
        ];
      }),
    },
  ];
}
