/**
 * Which policies of the model (src/kernel/variants.ts) a patch changes, decided from what its hunks do
 * to the anchored statements. The hunks give two partial images of each touched function: the
 * old one (context and removed lines) and the new one (context and added lines). Each policy is
 * read off each image by the rules below; every decision carries its evidence (patch, file,
 * hunk, input line, text). Changed lines in modelled functions that no rule explains make the
 * patch "not understood": it is reported with the steps it touches, never mapped to a preset.
 */
import { definitionName, norm } from '../source/cfunc';
import { functionAbsence, functionAliases, FUNCTION_ALIASES, KNOWN_MOVES, STATEMENT_ALIASES } from '../source/names';
import { ANCHORS, type AnchorId } from '../kernel/anchors';
import { PRESETS, POLICY_VALUES, variantName, type PolicyName, type Variant } from '../kernel/variants';
import type { FileDiff, Hunk, PatchInfo } from './types';

export interface Evidence {
  patch: number;
  file: string;
  hunk: number;
  inputLine: number;
  /** '-' a removed line, '+' an added line, ' ' context. */
  kind: ' ' | '+' | '-';
  text: string;
}

export interface ChangedLine extends Evidence {
  fn: string;
  norm: string;
  signature: boolean;
}

export interface PolicyDecision {
  policy: PolicyName;
  before: string;
  after: string;
  changed: boolean;
  /** patch: read off the hunks; inferred: the other value of a two-valued policy the patch switches; assumed: taken from a preset. */
  beforeHow: 'patch' | 'inferred' | 'assumed';
  afterHow: 'patch' | 'unchanged' | 'assumed';
  rule: string;
  evidence: Evidence[];
}

export interface Classification {
  /** The patch touches at least one file that holds a modelled step. */
  modelledFile: boolean;
  /** Every change in a modelled function is explained by a rule (or is cosmetic). */
  understood: boolean;
  before?: Variant;
  after?: Variant;
  decisions: PolicyDecision[];
  /** Changes in modelled functions that no rule explains. */
  unexplained: ChangedLine[];
  touchedFunctions: string[];
  /** Functions touched that hold no modelled step. */
  otherFunctions: string[];
  touchedSteps: AnchorId[];
  /** Modelled functions the patch adds whole (by the name the patch uses, with the model's name). */
  addedFunctions: Array<{ name: string; fn: string; evidence: Evidence }>;
  /** Why the patch is not understood, one sentence each (empty when understood). */
  reasons: string[];
  /** Sentences for the reader: assumptions, why not understood. */
  notes: string[];
}

const MODELLED_FILES = new Set(['mmu.c', 'paging_tmpl.h', 'spte.c', 'x86.c', 'kvm_main.c']);

/**
 * Modelled function names, with the other names they have had (names.ts): each maps to the model's
 * name. A name that is itself a modelled function keeps it (link_shadow_page is both a modelled
 * function and v5.19's name of __link_shadow_page).
 */
const FN_CANON = new Map<string, string>();
for (const a of Object.values(ANCHORS)) {
  if (a.file.startsWith('(')) continue;
  for (const al of functionAliases(a.fn)) if (!FN_CANON.has(al.name)) FN_CANON.set(al.name, a.fn);
}
for (const a of Object.values(ANCHORS)) if (!a.file.startsWith('(')) FN_CANON.set(a.fn, a.fn);
/**
 * Functions that hold no step's statement but decide a policy: kvm_mmu_get_child_sp()'s -EEXIST
 * test is childReuse (the fault's kvm_mmu_get_child_sp() steps are in FNAME(fetch)).
 */
const POLICY_FUNCTIONS = ['kvm_mmu_get_child_sp'];
for (const f of POLICY_FUNCTIONS) FN_CANON.set(f, f);

/** A modelled function's own name and every known other name of it. */
function namesOf(fn: string): string[] {
  return [fn, ...functionAliases(fn).map((a) => a.name)];
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Lines before the first definition in a hunk whose header names no function (diff -u without -p). */
export const UNKNOWN_FN = '(unknown function: the hunk header names none)';

/**
 * The function each line of a hunk belongs to: the one the @@ header names, until a definition at
 * column 0 (any column when the hunk lost its whitespace) starts another; `definition` marks that line.
 */
export function hunkFunctions(h: Hunk): { fn: string; definition: boolean }[] {
  let fn = definitionName(h.section) ?? UNKNOWN_FN;
  return h.lines.map((l) => {
    const def = definitionName(l.text);
    const definition = def !== undefined && (h.whitespaceLost || !/^\s/.test(l.text));
    if (definition) fn = def;
    return { fn, definition };
  });
}

interface ImageLine { t: string; ev: Evidence; run: number }

/** A function's lines on one side of the patch, in order; `run` changes at hunk gaps. */
type Image = Map<string, ImageLine[]>;

interface Attributed {
  changed: ChangedLine[];
  pre: Image;
  post: Image;
}

function attribute(p: PatchInfo, files: FileDiff[]): Attributed {
  const changed: ChangedLine[] = [];
  const pre: Image = new Map();
  const post: Image = new Map();
  let run = 0;
  const push = (img: Image, fn: string, l: ImageLine) => { let a = img.get(fn); if (!a) img.set(fn, (a = [])); a.push(l); };
  for (const f of files) {
    for (const h of f.hunks) {
      run++;
      const owners = hunkFunctions(h);
      let sig = false;
      h.lines.forEach((l, i) => {
        const { fn, definition } = owners[i];
        if (definition) sig = true;
        const t = norm(l.text);
        const ev: Evidence = { patch: p.index, file: f.path, hunk: h.index, inputLine: l.inputLine, kind: l.kind, text: l.text.trim() };
        if (l.kind !== '+') push(pre, fn, { t, ev, run });
        if (l.kind !== '-') push(post, fn, { t, ev, run });
        if (l.kind !== ' ') changed.push({ ...ev, fn, norm: t, signature: sig });
        if (sig && (t === '{' || t.endsWith('{') || t.endsWith(';'))) sig = false;
      });
    }
  }
  return { changed, pre, post };
}

type Found = { values: string[]; rule: string; evidence: Evidence[] };

const FLUSH_CALL = /kvm_flush_remote_tlbs\w*\(/;
const MEMSLOT_FLUSH = /(kvm_arch_flush_remote_tlbs_memslot|kvm_flush_remote_tlbs_memslot)\(/;

function lines(img: Image, ...fns: string[]): ImageLine[] {
  return fns.flatMap((f) => img.get(f) ?? []);
}

function prevInRun(ls: ImageLine[], i: number): ImageLine | undefined {
  for (let k = i - 1; k >= 0 && ls[k].run === ls[i].run; k--) if (ls[k].t !== '') return ls[k];
  return undefined;
}

/**
 * kvm_mmu_get_child_sp()'s reuse test: the lines from `if (is_shadow_present_pte(*sptep)` to the
 * `return ERR_PTR(-EEXIST);` it guards, in one hunk. present: present and not large (0cd8dc739833
 * until 2026); gfn: and the child's gfn (0cb2af2ea66a); gfn-role: and its role.word (81ccda30b4e8).
 */
function childReuse(img: Image): Found | undefined {
  const ls = lines(img, 'kvm_mmu_get_child_sp');
  // The first EEXIST return at or after each line within its run, from one backward pass: a scan
  // forward from every `if` was quadratic in a hunk of many such lines.
  const eexist = new Array<number>(ls.length);
  for (let k = ls.length - 1; k >= 0; k--) {
    eexist[k] = ls[k].t.endsWith('returnERR_PTR(-EEXIST);') ? k : k + 1 < ls.length && ls[k + 1].run === ls[k].run ? eexist[k + 1] : -1;
  }
  for (let i = 0; i < ls.length; i++) {
    if (!ls[i].t.startsWith('if(is_shadow_present_pte(*sptep)')) continue;
    const j = eexist[i];
    if (j < 0) continue;
    const cond = ls.slice(i, j + 1).map((l) => l.t).join('').replace(/returnERR_PTR\(-EEXIST\);$/, '');
    const evidence = ls.slice(i, j).map((l) => l.ev);
    const gfn = /->gfn==gfn/.test(cond);
    const role = /->role\.word==role\.word/.test(cond);
    if (gfn && role) return { values: ['gfn-role'], rule: "kvm_mmu_get_child_sp() reuses the linked child only if its gfn and its role.word match (81ccda30b4e8's test)", evidence };
    if (gfn && !role) return { values: ['gfn'], rule: "kvm_mmu_get_child_sp() reuses the linked child only if its gfn matches (0cb2af2ea66a's test)", evidence };
    if (cond === 'if(is_shadow_present_pte(*sptep)&&!is_large_pte(*sptep))') return { values: ['present'], rule: 'kvm_mmu_get_child_sp() reuses whatever child a present, non-large SPTE links (-EEXIST)', evidence };
  }
  return undefined;
}

/** Lines of kvm_mmu_get_child_sp() the childReuse rule reads: its reuse test and the role it computes for it. */
const CHILD_SP_EXPLAINED: RegExp[] = [
  /^if\(is_shadow_present_pte\(\*sptep\)/, /^(&&)?!is_large_pte\(\*sptep\)(&&|\))?$/, /^(&&)?(spte_to_child_sp\(\*sptep\)(->(gfn==gfn|role\.word==role\.word))?(&&|\))?)+$/,
  /^unionkvm_mmu_page_rolerole(=kvm_mmu_child_role\(sptep,direct,access\))?;$/, /^role=kvm_mmu_child_role\(sptep,direct,access\);$/,
];

/** Read the policies off one image. */
function detect(img: Image): Partial<Record<PolicyName, Found>> {
  const out: Partial<Record<PolicyName, Found>> = {};
  const reuse = childReuse(img);
  if (reuse) out.childReuse = reuse;
  const link = lines(img, '__link_shadow_page', 'link_shadow_page');
  const split = lines(img, ...namesOf('shadow_mmu_split_huge_page'));
  // The 2022 revisions (v1 .. v6) dropped the huge SPTE in the split itself, then linked.
  const splitDrop = split.filter((l) => /^(__)?drop_large_spte\(kvm,huge_sptep,(flush|true|false)\);$/.test(l.t));
  const zap = link.filter((l) => l.t.includes('kvm_mmu_remote_flush_or_zap(') || l.t.includes('mmu_page_zap_pte('));
  const drop = link.filter((l) => l.t.includes('drop_large_spte('));
  if (zap.length) out.linkPresent = { values: ['zap-and-flush'], rule: '__link_shadow_page() zaps the present SPTE (mmu_page_zap_pte) and flushes (kvm_mmu_remote_flush_or_zap)', evidence: zap.map((l) => l.ev) };
  else if (drop.length) out.linkPresent = { values: ['drop-large'], rule: '__link_shadow_page() calls drop_large_spte()', evidence: drop.map((l) => l.ev) };
  else if (splitDrop.length) out.linkPresent = { values: ['drop-large'], rule: 'the split drops the huge SPTE with (__)drop_large_spte() before linking the child (the 2022 revisions, before 0cd8dc739833 moved the call into __link_shadow_page())', evidence: splitDrop.map((l) => l.ev) };

  const dls = lines(img, ...namesOf('drop_large_spte'));
  const sptep = dls.filter((l) => l.t.includes('kvm_flush_remote_tlbs_sptep('));
  const table = dls.filter((l) => /kvm_flush_remote_tlbs_(with_address|range)\((vcpu->)?kvm,sp->gfn/.test(l.t));
  if (sptep.length) out.dropFlushRange = { values: ['sptep-gfn'], rule: "drop_large_spte() flushes the dropped SPTE's own gfn (kvm_flush_remote_tlbs_sptep)", evidence: sptep.map((l) => l.ev) };
  else if (table.length) out.dropFlushRange = { values: ['table-gfn'], rule: 'drop_large_spte() flushes sp->gfn, KVM_PAGES_PER_HPAGE(sp->role.level) of the table holding the SPTE', evidence: table.map((l) => l.ev) };

  // splitFlush: an unconditional flush in drop_large_spte() means every split flushes.
  let dropAlways: Found | undefined;
  let dropConditional: Found | undefined;
  dls.forEach((l, i) => {
    if (!FLUSH_CALL.test(l.t)) return;
    const prev = prevInRun(dls, i);
    if (!prev) return;
    if (prev.t === 'if(flush)') dropConditional = { values: ['present-nonleaf', 'reused', 'never'], rule: "drop_large_spte() flushes only if its caller passes flush", evidence: [prev.ev, l.ev] };
    else if (!prev.t.startsWith('if(') && !prev.t.startsWith('else')) dropAlways = { values: ['always'], rule: 'drop_large_spte() flushes unconditionally after drop_spte()', evidence: [prev.ev, l.ev] };
  });
  const nonleaf = split.filter((l) => l.t.includes('flush|=!is_last_spte('));
  const passes = split.filter((l) => /^__link_shadow_page\(kvm,cache,huge_sptep,sp,(true|false)\);$/.test(l.t) || /^(__)?drop_large_spte\(kvm,huge_sptep,(true|false)\);$/.test(l.t));
  if (dropAlways) out.splitFlush = dropAlways;
  else if (nonleaf.length) out.splitFlush = { values: ['present-nonleaf'], rule: 'the split loop sets flush |= !is_last_spte(...) for present child entries and passes it to __link_shadow_page()', evidence: [...(dropConditional?.evidence ?? []), ...nonleaf.map((l) => l.ev)] };
  else if (passes.length) {
    const v = passes[0].t.includes(',true)') ? 'always' : 'never';
    out.splitFlush = { values: [v], rule: `the split passes flush = ${v === 'always' ? 'true' : 'false'} to ${/drop_large_spte/.test(passes[0].t) ? 'the drop of the huge SPTE' : '__link_shadow_page()'}`, evidence: passes.map((l) => l.ev) };
  } else if (dropConditional) out.splitFlush = dropConditional;

  const apply = lines(img, ...namesOf('kvm_mmu_slot_apply_flags'));
  apply.forEach((l, i) => {
    if (!MEMSLOT_FLUSH.test(l.t)) return;
    const prev = prevInRun(apply, i);
    if (prev && !prev.t.startsWith('if(')) out.enableLogFlush = { values: ['always'], rule: 'kvm_mmu_slot_apply_flags() flushes the memslot unconditionally after write-protecting it', evidence: [l.ev] };
  });
  const wp = lines(img, ...namesOf('kvm_mmu_slot_remove_write_access'), 'kvm_mmu_slot_leaf_clear_dirty');
  wp.forEach((l, i) => {
    if (!MEMSLOT_FLUSH.test(l.t)) return;
    const prev = prevInRun(wp, i);
    if (prev?.t === 'if(flush)' && !out.enableLogFlush) out.enableLogFlush = { values: ['if-write-protected'], rule: 'the memslot flush after write-protecting runs only if an SPTE changed', evidence: [prev.ev, l.ev] };
  });
  return out;
}

/** Every known other name of a kernel function (names.ts, modelled or a callee), to the model's name. */
const RENAMED_TO = new Map<string, string>(Object.entries(FUNCTION_ALIASES).flatMap(([fn, al]) => al.map((a) => [a.name, fn] as [string, string])));
const OTHER_NAMES = [...RENAMED_TO.keys()].sort((a, b) => b.length - a.length);
const OTHER_NAME_CALL = new RegExp(`(?<![\\w])(${OTHER_NAMES.join('|')})\\(`, 'g');

/** A whitespace-free line with every known other function name replaced by the model's name. */
function renamed(t: string): string {
  return OTHER_NAMES.length ? t.replace(OTHER_NAME_CALL, (_m, name: string) => `${RENAMED_TO.get(name)}(`) : t;
}

function calleeOf(t: string): string | undefined {
  return /^(?:[\w*]+=)?([A-Za-z_]\w*)\(/.exec(t)?.[1];
}

/** Lines no rule needs to explain: blank, comments, braces, signature changes. */
function cosmetic(c: ChangedLine): boolean {
  const t = c.norm;
  return t === '' || t === '{' || t === '}' || t.startsWith('/*') || t.startsWith('*') || t.startsWith('//') || c.signature;
}

const EXPLAINED: RegExp[] = [
  /flush\|=!is_last_spte\(/, /^if\(flush\)$/, /^boolflush(=false)?;$/, FLUSH_CALL, MEMSLOT_FLUSH, /^KVM_PAGES_PER_HPAGE\(sp->role\.level\)\);$/,
  /(^|[^\w])(__)?drop_large_spte\(/, /mmu_page_zap_pte\(/, /kvm_mmu_remote_flush_or_zap\(/, /^__link_shadow_page\(kvm,cache,huge_sptep,sp(,flush|,true|,false)?\);$/, /^__link_shadow_page\(vcpu->kvm,&vcpu->arch\.mmu_pte_list_desc_cache,sptep,sp(,flush|,true|,false)?\);$/,
  // The 2022 revisions: __link_shadow_page(cache, sptep, sp) without kvm or flush, after the split's own drop.
  /^__link_shadow_page\((cache|NULL),huge_sptep,(split_)?sp\);$/,
  /invalid_list/, /parent_sp/, /^(WARN_ON|WARN_ON_ONCE|KVM_BUG_ON)\(/,
];

/** Cancel re-indented / moved / re-braced / renamed pairs; return what is left to explain. */
function semantic(changed: ChangedLine[]): ChangedLine[] {
  const key = (c: ChangedLine) => `${c.fn}\u0000${renamed(c.norm.replace(/\{$/, ''))}`;
  const removed = new Map<string, ChangedLine[]>();
  for (const c of changed) if (c.kind === '-' && !cosmetic(c)) { const k = key(c); const a = removed.get(k); if (a) a.push(c); else removed.set(k, [c]); }
  const left: ChangedLine[] = [];
  const matched = new Set<ChangedLine>();
  for (const c of changed) {
    if (c.kind !== '+' || cosmetic(c)) continue;
    const a = removed.get(key(c));
    if (a && a.length) { matched.add(a.pop()!); continue; }
    left.push(c);
  }
  for (const c of changed) if (c.kind === '-' && !cosmetic(c) && !matched.has(c)) left.push(c);
  // A known rename with new arguments (slot_handle_level_range -> __walk_slot_rmaps): same callee after renaming.
  const removedCallees = new Map<string, ChangedLine>();
  for (const c of left) if (c.kind === '-') { const k = calleeOf(renamed(c.norm)); if (k) removedCallees.set(c.fn + '\0' + k, c); }
  // Sets, not array searches: a patch with a very large hunk must stay linear.
  const paired = new Set<ChangedLine>();
  const kept = left.filter((c) => {
    if (c.kind !== '+') return true;
    const k = calleeOf(renamed(c.norm));
    const r = k && removedCallees.get(c.fn + '\0' + k);
    // The same function under two of its names: a rename, whatever happened to the arguments.
    if (r && calleeOf(r.norm) !== calleeOf(c.norm) && !paired.has(r)) { paired.add(r); return false; }
    return true;
  });
  return kept.filter((c) => !paired.has(c));
}

/** Functions other than its own where the kernel's history puts a step's statement (moves, and forms that name a function). */
function elsewhere(id: AnchorId): Set<string> {
  const fns = [...(KNOWN_MOVES[id] ?? []).map((m) => m.fn), ...(STATEMENT_ALIASES[id] ?? []).flatMap((a) => (a.fn ? [a.fn] : []))];
  return new Set(fns.flatMap(namesOf));
}

/**
 * The steps a patch touches: every step of a modelled function it changes, and a step whose
 * statement a changed line holds where that statement has lived (its function's history, or a hunk
 * that names no function); a lock or a return in some other function touches nothing.
 */
function stepsOf(fns: Set<string>, changed: ChangedLine[]): AnchorId[] {
  // The changed lines by function, so that each step reads only the lines of the functions where
  // its statement has lived, not every changed line of the patch.
  const byFn = new Map<string, ChangedLine[]>();
  for (const c of changed) { const a = byFn.get(c.fn); if (a) a.push(c); else byFn.set(c.fn, [c]); }
  const out: AnchorId[] = [];
  for (const [id, a] of Object.entries(ANCHORS) as Array<[AnchorId, (typeof ANCHORS)[AnchorId]]>) {
    if (fns.has(a.fn)) { out.push(id); continue; }
    const forms = [a.stmt, ...(STATEMENT_ALIASES[id] ?? []).map((x) => x.stmt), ...(KNOWN_MOVES[id] ?? []).map((m) => m.stmt ?? a.stmt)].map(norm);
    const holds = (t: string) => forms.some((st) => t.includes(st) || (t.length > 8 && st.startsWith(t)));
    const where = [UNKNOWN_FN, ...elsewhere(id)];
    if (where.some((fn) => (byFn.get(fn) ?? []).some((c) => holds(c.norm)))) out.push(id);
  }
  return out;
}

const POLICIES = Object.keys(POLICY_VALUES) as PolicyName[];

/** The first preset allowed by the constraints: fills the policies the patch does not show. */
function fill(constraints: Partial<Record<PolicyName, string[]>>): { preset: string; values: Record<PolicyName, string> } | undefined {
  const p = PRESETS.find((x) => POLICIES.every((k) => !constraints[k] || constraints[k]!.includes(x[k])));
  if (!p) return undefined;
  return { preset: p.name, values: Object.fromEntries(POLICIES.map((k) => [k, p[k]])) as Record<PolicyName, string> };
}

/** Classify one patch, or (with several) a series applied in order. */
export function classify(patches: PatchInfo[]): Classification {
  const notes: string[] = [];
  const real = patches.filter((p) => !p.cover);
  const modelledFile = real.some((p) => p.files.some((f) => MODELLED_FILES.has(baseName(f.path))));
  const perPatch = real.map((p) => {
    const files = p.files.filter((f) => MODELLED_FILES.has(baseName(f.path)));
    const a = attribute(p, files);
    return { p, a, pre: detect(a.pre), post: detect(a.post) };
  });
  const changed = perPatch.flatMap((x) => x.a.changed);
  const touched = new Set(changed.map((c) => c.fn));
  const touchedFunctions = [...touched].filter((f) => FN_CANON.has(f));
  const otherFunctions = [...touched].filter((f) => !FN_CANON.has(f) && f !== UNKNOWN_FN);
  if (touched.has(UNKNOWN_FN)) notes.push('some hunks name no function in their @@ header (diff -u without -p) and start inside one: their changes cannot be attributed, so they count as not understood; regenerate the diff with git diff or diff -up');
  const touchedSteps = stepsOf(new Set(touchedFunctions.map((f) => FN_CANON.get(f)!)), changed);

  // Explain the changes, patch by patch.
  const unexplained: ChangedLine[] = [];
  const addedFunctions: Classification['addedFunctions'] = [];
  for (const x of perPatch) {
    const inModel = x.a.changed.filter((c) => FN_CANON.has(c.fn) || (c.fn === UNKNOWN_FN && !cosmetic(c)));
    const removedFns = new Set(inModel.filter((c) => c.kind === '-' && c.signature && definitionName(c.text) === c.fn).map((c) => c.fn));
    // A modelled function the patch adds whole (its definition is added and the old side shows none
    // of it): the model has no variant without it, so no rule can say what the patch changes.
    const addedFns = new Map<string, ChangedLine>();
    for (const c of inModel) if (c.kind === '+' && c.signature && definitionName(c.text) === c.fn && !x.a.pre.has(c.fn) && !addedFns.has(c.fn)) addedFns.set(c.fn, c);
    for (const [name, c] of addedFns) addedFunctions.push({ name, fn: FN_CANON.get(name)!, evidence: { patch: c.patch, file: c.file, hunk: c.hunk, inputLine: c.inputLine, kind: c.kind, text: c.text } });
    // Functions the patch adds lines to, as a set: a search of every change for each removed line
    // was quadratic in a patch that deletes one long function.
    const addsTo = new Set(inModel.filter((c) => c.kind === '+').map((c) => c.fn));
    for (const c of semantic(inModel)) {
      if (c.fn === UNKNOWN_FN) { unexplained.push(c); continue; }
      if (addedFns.has(c.fn)) continue; // said once, as the function added whole
      if (EXPLAINED.some((re) => re.test(c.norm))) continue;
      // Explained only where the image it belongs to reads as one of childReuse's values.
      if (c.fn === 'kvm_mmu_get_child_sp' && (c.kind === '+' ? x.post : x.pre).childReuse && CHILD_SP_EXPLAINED.some((re) => re.test(c.norm))) continue;
      if (c.kind === '-' && removedFns.has(c.fn) && !addsTo.has(c.fn)) continue; // the whole function is deleted
      unexplained.push(c);
    }
  }
  const reasons: string[] = [];
  for (const a of addedFunctions) {
    reasons.push(`it adds ${a.name === a.fn ? `${a.fn}()` : `${a.name}() (the model's ${a.fn}())`} whole (patch ${a.evidence.patch}, line ${a.evidence.inputLine}): the model has no variant without it${functionAbsence(a.fn) ? ` (${functionAbsence(a.fn)})` : ''}`);
  }
  if (unexplained.length) reasons.push(`${unexplained.length} changed line(s) in modelled functions (${[...new Set(unexplained.map((c) => c.fn))].join(', ')}) match no classification rule`);

  // Policy by policy: before from the first patch that shows it, after from the last.
  const decisions: PolicyDecision[] = [];
  const beforeC: Partial<Record<PolicyName, string[]>> = {};
  const afterKnown: Partial<Record<PolicyName, { v: string; ev: Evidence[]; rule: string }>> = {};
  const beforeInfo: Partial<Record<PolicyName, { how: 'patch' | 'inferred'; ev: Evidence[]; rule: string }>> = {};
  for (const k of POLICIES) {
    for (const x of perPatch) {
      if (beforeC[k] || afterKnown[k]) break;
      if (x.pre[k]) { beforeC[k] = x.pre[k]!.values; beforeInfo[k] = { how: 'patch', ev: x.pre[k]!.evidence, rule: x.pre[k]!.rule }; }
      else if (x.post[k] && x.post[k]!.evidence.some((e) => e.kind === '+') && POLICY_VALUES[k].length === 2 && x.post[k]!.values.length === 1) {
        const other = POLICY_VALUES[k].find((v) => v !== x.post[k]!.values[0])!;
        beforeC[k] = [other];
        beforeInfo[k] = { how: 'inferred', ev: x.post[k]!.evidence.filter((e) => e.kind === '+'), rule: `the patch adds what makes it ${x.post[k]!.values[0]}, so before it was ${other}` };
      }
    }
    for (const x of perPatch) {
      const f = x.post[k];
      if (f && f.values.length === 1) afterKnown[k] = { v: f.values[0], ev: f.evidence, rule: f.rule };
      else if (f && afterKnown[k] && !f.values.includes(afterKnown[k]!.v)) delete afterKnown[k];
    }
  }
  const filled = fill(beforeC);
  let before: Variant | undefined;
  let after: Variant | undefined;
  if (!filled) notes.push('no preset agrees with what the patch shows of the code before it; the before variant is composed from the patch alone');
  const bv = {} as Record<PolicyName, string>;
  for (const k of POLICIES) bv[k] = beforeC[k]?.length === 1 ? beforeC[k]![0] : (filled?.values[k] ?? POLICY_VALUES[k][0]);
  const av = { ...bv };
  for (const k of POLICIES) if (afterKnown[k]) av[k] = afterKnown[k]!.v;
  for (const k of POLICIES) {
    const bi = beforeInfo[k];
    const ai = afterKnown[k];
    const beforeHow = bi && beforeC[k]!.length === 1 ? bi.how : 'assumed';
    const d: PolicyDecision = {
      policy: k, before: bv[k], after: av[k], changed: bv[k] !== av[k], beforeHow,
      afterHow: ai ? 'patch' : 'unchanged',
      rule: [
        bi ? `before: ${bi.rule}${beforeC[k]!.length > 1 ? ` (one of ${beforeC[k]!.join(', ')}; ${bv[k]} from preset ${filled?.preset})` : ''}` : `before: not shown by the patch; ${bv[k]} from preset ${filled?.preset ?? '(none)'}, the first preset consistent with what the patch shows`,
        ai ? `after: ${ai.rule}` : 'after: the patch does not change it',
      ].join('; '),
      evidence: [...(bi?.ev ?? []), ...(ai?.ev ?? []).filter((e) => !(bi?.ev ?? []).includes(e))],
    };
    decisions.push(d);
  }
  const understood = reasons.length === 0;
  // The code before the patch is the model's only if every line the patch removes is explained and
  // the patch adds no modelled function whole (code that did not exist has no "before" either).
  const beforeKnown = !addedFunctions.length && !unexplained.some((c) => c.kind === '-');
  if (modelledFile && touchedFunctions.length && !beforeKnown) {
    notes.push(addedFunctions.length ? 'the before variant is not determined: the patch adds code that every variant of the model has' : 'the before variant is not determined: lines the patch removes match no rule, so the code before it does something the model does not capture');
  }
  if (modelledFile && touchedFunctions.length) {
    if (beforeKnown) {
      before = { name: '', ...(bv as Omit<Variant, 'name'>) };
      before.name = variantName(before);
    }
    if (understood) {
      after = { name: '', ...(av as Omit<Variant, 'name'>) };
      after.name = variantName(after);
    } else {
      notes.push(`not understood: ${reasons.join('; ')}; the after variant is not determined`);
    }
  } else if (modelledFile) {
    notes.push('the patch touches a modelled file but none of the modelled functions: the model is unchanged by it');
  }
  return { modelledFile, understood, ...(before ? { before } : {}), ...(after ? { after } : {}), decisions, unexplained, touchedFunctions, otherFunctions, touchedSteps, addedFunctions, reasons, notes };
}
