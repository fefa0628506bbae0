/**
 * Which policies of the model (src/variants.ts) a patch changes, decided from what its hunks do
 * to the anchored statements. The hunks give two partial images of each touched function: the
 * old one (context and removed lines) and the new one (context and added lines). Each policy is
 * read off each image by the rules below; every decision carries its evidence (patch, file,
 * hunk, input line, text). Changed lines in modelled functions that no rule explains make the
 * patch "not understood": it is reported with the steps it touches, never mapped to a preset.
 */
import { definitionName, norm } from '../anchor/cfunc';
import { FUNCTION_ALIASES } from '../anchor/names';
import { ANCHORS, type AnchorId } from '../mmu/anchors';
import { PRESETS, POLICY_VALUES, variantName, type PolicyName, type Variant } from '../variants';
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
  /** Sentences for the reader: assumptions, why not understood. */
  notes: string[];
}

const MODELLED_FILES = new Set(['mmu.c', 'paging_tmpl.h', 'spte.c', 'x86.c', 'kvm_main.c']);

/** Modelled function names, with the other names they have had. */
const FN_CANON = new Map<string, string>();
for (const a of Object.values(ANCHORS)) {
  if (a.file.startsWith('(')) continue;
  FN_CANON.set(a.fn, a.fn);
  for (const al of FUNCTION_ALIASES[a.fn] ?? []) FN_CANON.set(al.name, a.fn);
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

/** Read the four policies off one image. */
function detect(img: Image): Partial<Record<PolicyName, Found>> {
  const out: Partial<Record<PolicyName, Found>> = {};
  const link = lines(img, '__link_shadow_page', 'link_shadow_page');
  const zap = link.filter((l) => l.t.includes('kvm_mmu_remote_flush_or_zap(') || l.t.includes('mmu_page_zap_pte('));
  const drop = link.filter((l) => l.t.includes('drop_large_spte('));
  if (zap.length) out.linkPresent = { values: ['zap-and-flush'], rule: '__link_shadow_page() zaps the present SPTE (mmu_page_zap_pte) and flushes (kvm_mmu_remote_flush_or_zap)', evidence: zap.map((l) => l.ev) };
  else if (drop.length) out.linkPresent = { values: ['drop-large'], rule: '__link_shadow_page() calls drop_large_spte()', evidence: drop.map((l) => l.ev) };

  const dls = lines(img, 'drop_large_spte', '__drop_large_spte');
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
  const split = lines(img, 'shadow_mmu_split_huge_page');
  const nonleaf = split.filter((l) => l.t.includes('flush|=!is_last_spte('));
  const passes = split.filter((l) => /^__link_shadow_page\(kvm,cache,huge_sptep,sp,(true|false)\);$/.test(l.t));
  if (dropAlways) out.splitFlush = dropAlways;
  else if (nonleaf.length) out.splitFlush = { values: ['present-nonleaf'], rule: 'the split loop sets flush |= !is_last_spte(...) for present child entries and passes it to __link_shadow_page()', evidence: [...(dropConditional?.evidence ?? []), ...nonleaf.map((l) => l.ev)] };
  else if (passes.length) {
    const v = passes[0].t.includes(',true)') ? 'always' : 'never';
    out.splitFlush = { values: [v], rule: `the split passes flush = ${v === 'always' ? 'true' : 'false'} to __link_shadow_page()`, evidence: passes.map((l) => l.ev) };
  } else if (dropConditional) out.splitFlush = dropConditional;

  const apply = lines(img, 'kvm_mmu_slot_apply_flags');
  apply.forEach((l, i) => {
    if (!MEMSLOT_FLUSH.test(l.t)) return;
    const prev = prevInRun(apply, i);
    if (prev && !prev.t.startsWith('if(')) out.enableLogFlush = { values: ['always'], rule: 'kvm_mmu_slot_apply_flags() flushes the memslot unconditionally after write-protecting it', evidence: [l.ev] };
  });
  const wp = lines(img, 'kvm_mmu_slot_remove_write_access', 'kvm_mmu_slot_leaf_clear_dirty');
  wp.forEach((l, i) => {
    if (!MEMSLOT_FLUSH.test(l.t)) return;
    const prev = prevInRun(wp, i);
    if (prev?.t === 'if(flush)' && !out.enableLogFlush) out.enableLogFlush = { values: ['if-write-protected'], rule: 'the memslot flush after write-protecting runs only if an SPTE changed', evidence: [prev.ev, l.ev] };
  });
  return out;
}

const KNOWN_RENAMES: Array<[string, string]> = Object.entries(FUNCTION_ALIASES).flatMap(([from, al]) => al.map((a) => [from, a.name] as [string, string]));

function renamed(t: string): string {
  let s = t;
  for (const [from, to] of KNOWN_RENAMES) s = s.split(from + '(').join(to + '(');
  return s;
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
  /(^|[^\w])drop_large_spte\(/, /mmu_page_zap_pte\(/, /kvm_mmu_remote_flush_or_zap\(/, /^__link_shadow_page\(kvm,cache,huge_sptep,sp(,flush|,true|,false)?\);$/, /^__link_shadow_page\(vcpu->kvm,&vcpu->arch\.mmu_pte_list_desc_cache,sptep,sp(,flush|,true|,false)?\);$/,
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
    const k = calleeOf(c.norm);
    const r = k && removedCallees.get(c.fn + '\0' + k);
    if (r && renamed(r.norm) !== r.norm && !paired.has(r)) { paired.add(r); return false; }
    return true;
  });
  return kept.filter((c) => !paired.has(c));
}

function stepsOf(fns: Set<string>, changed: ChangedLine[]): AnchorId[] {
  const out: AnchorId[] = [];
  for (const [id, a] of Object.entries(ANCHORS) as Array<[AnchorId, (typeof ANCHORS)[AnchorId]]>) {
    const st = norm(a.stmt);
    if (fns.has(a.fn) || changed.some((c) => c.norm.includes(st) || (c.norm.length > 8 && st.startsWith(c.norm)))) out.push(id);
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
  for (const x of perPatch) {
    const inModel = x.a.changed.filter((c) => FN_CANON.has(c.fn) || (c.fn === UNKNOWN_FN && !cosmetic(c)));
    const removedFns = new Set(inModel.filter((c) => c.kind === '-' && c.signature && definitionName(c.text) === c.fn).map((c) => c.fn));
    for (const c of semantic(inModel)) {
      if (c.fn === UNKNOWN_FN) { unexplained.push(c); continue; }
      if (EXPLAINED.some((re) => re.test(c.norm))) continue;
      if (c.kind === '-' && removedFns.has(c.fn) && !inModel.some((d) => d.fn === c.fn && d.kind === '+')) continue; // the whole function is deleted
      unexplained.push(c);
    }
  }

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
  const understood = unexplained.length === 0;
  if (modelledFile && touchedFunctions.length) {
    before = { name: '', ...(bv as Omit<Variant, 'name'>) };
    before.name = variantName(before);
    if (understood) {
      after = { name: '', ...(av as Omit<Variant, 'name'>) };
      after.name = variantName(after);
    } else {
      notes.push(`not understood: ${unexplained.length} change(s) in modelled functions match no classification rule (${[...new Set(unexplained.map((c) => c.fn))].join(', ')}); the after variant is not determined`);
    }
  } else if (modelledFile) {
    notes.push('the patch touches a modelled file but none of the modelled functions: the model is unchanged by it');
  }
  return { modelledFile, understood, ...(before ? { before } : {}), ...(after ? { after } : {}), decisions, unexplained, touchedFunctions, otherFunctions, touchedSteps, notes };
}
