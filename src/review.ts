/**
 * A patch review as plain data: what the extension's review view shows (and what a test can
 * compare with). Parses a patch mail or diff, classifies it into the variant before and after,
 * anchors the touched steps in a kernel tree when one is given, and runs the built-in scenarios
 * under both variants. Pure: no I/O, no vscode; the caller reads the files.
 */
import { anchorSources, type SourceFile } from './anchor/anchor';
import { ANCHORS, type AnchorId } from './mmu/anchors';
import { classify, type Evidence } from './patch/classify';
import { formatDiagnostic, hasErrors, parsePatchInput } from './patch/parse';
import { BUILTIN_SCENARIOS, builtinScenario } from './scenario/builtins';
import { runScenario } from './trace/run';
import type { Variant } from './variants';

/** The files under a kernel tree that hold modelled steps (paths relative to its top). */
export { REVIEW_TREE_FILES, looksLikePatch } from './patch/detect';

/** A modelled step: its function and, when a tree was given and it was found there, its file and line (1-based). */
export interface ReviewStep {
  id: string;
  fn: string;
  file: string;
  line?: number;
}

export interface ReviewPatch {
  index: number;
  /** "[PATCH v7 2/3]" as printed: tags, version and number. */
  prefix: string;
  subject: string;
  author: string;
  date: string;
  cover: boolean;
  files: string[];
  functions: string[];
  otherFunctions: string[];
  steps: ReviewStep[];
  /** "splitFlush: always -> if-reused" per policy this patch changes. */
  changes: string[];
  /** Changed lines in modelled functions that no rule explains. */
  notUnderstood: string[];
}

export interface ReviewDecision {
  policy: string;
  before: string;
  after: string;
  changed: boolean;
  rule: string;
  evidence: string[];
}

export interface ReviewVerdict {
  verdict: 'pass' | 'violation';
  remoteFlushes: number;
  splitFlushes: number;
  /** The first violation's message, when there is one. */
  violation: string;
}

export interface ReviewCheck {
  scenario: string;
  before: ReviewVerdict | null;
  after: ReviewVerdict | null;
}

export interface PatchReviewView {
  name: string;
  format: string;
  diagnostics: string[];
  patches: ReviewPatch[];
  /** The patch touches a file with a modelled step. */
  modelled: boolean;
  /** Every change in a modelled function is explained by a rule. */
  understood: boolean;
  /** What touches the model when not understood (or always: the steps the series touches). */
  steps: ReviewStep[];
  unexplained: string[];
  before: string;
  after: string;
  decisions: ReviewDecision[];
  notes: string[];
  checks: ReviewCheck[];
  /** A scenario that fails under "after" (or, failing that, under "before"), to walk. */
  counterexample: { scenario: string; variant: string } | null;
  /** Whether the anchors were looked up in a kernel tree. */
  tree: boolean;
}

function evidenceText(e: Evidence): string {
  return `patch ${e.patch}, hunk ${e.hunk}, line ${e.inputLine}: ${e.kind}${e.text}`;
}

function prefixText(p: { tags: string[]; version?: number; number?: number; total?: number }): string {
  const parts = [...p.tags];
  if (p.version !== undefined) parts.push(`v${p.version}`);
  if (p.number !== undefined) parts.push(`${p.number}/${p.total ?? '?'}`);
  return parts.length ? `[${parts.join(' ')}]` : '';
}

function verdicts(v: Variant): ReviewVerdict[] {
  return BUILTIN_SCENARIOS.map((name) => {
    // Without the per-write records: the same verdicts and counters, four times faster on common-1g.
    const t = runScenario(builtinScenario(name)!, { variant: v, checks: { keepSteps: false, recordWrites: false } });
    const first = t.violations[0];
    return { verdict: t.verdict, remoteFlushes: t.counters.remoteFlushes, splitFlushes: t.counters.splitFlushes, violation: first ? `${first.kind}: ${first.message}` : '' };
  });
}

/** Reviews a patch: `text` is the mail or diff, `name` its file name; `tree` the kernel files read so far, if any. */
export function reviewPatch(text: string, name: string, tree?: SourceFile[]): PatchReviewView {
  const input = parsePatchInput(text, name);
  const series = classify(input.patches);
  const anchors = tree && tree.length ? anchorSources(tree) : [];
  const stepOf = (id: AnchorId): ReviewStep => {
    const a = ANCHORS[id];
    const found = anchors.find((x) => x.id === id);
    return found && found.found ? { id, fn: found.function, file: found.file, line: found.line } : { id, fn: a.fn, file: a.file };
  };
  const patches: ReviewPatch[] = input.patches.map((p) => {
    const c = p.cover ? undefined : classify([p]);
    return {
      index: p.index, prefix: prefixText(p.prefix), subject: p.subject || p.rawSubject || '(no subject)',
      author: p.author ? `${p.author}${p.email ? ` <${p.email}>` : ''}` : (p.email ?? ''), date: p.date ?? '', cover: p.cover,
      files: p.files.map((f) => f.path),
      functions: c?.touchedFunctions ?? [], otherFunctions: c?.otherFunctions ?? [],
      steps: (c?.touchedSteps ?? []).map(stepOf),
      changes: (c?.decisions ?? []).filter((d) => d.changed).map((d) => `${d.policy}: ${d.before} -> ${d.after}`),
      notUnderstood: (c?.unexplained ?? []).map((u) => `${u.fn}: line ${u.inputLine}: ${u.kind}${u.text}`),
    };
  });
  const before = !hasErrors(input) && series.modelledFile ? series.before : undefined;
  const after = !hasErrors(input) && series.modelledFile ? series.after : undefined;
  const b = before ? verdicts(before) : undefined;
  const a = after ? verdicts(after) : undefined;
  const checks: ReviewCheck[] = BUILTIN_SCENARIOS.map((scenario, i) => ({ scenario, before: b?.[i] ?? null, after: a?.[i] ?? null }));
  const failing = (side: 'before' | 'after') => checks.find((c) => c[side]?.verdict === 'violation');
  const ceAfter = after ? failing('after') : undefined;
  const ceBefore = before ? failing('before') : undefined;
  const counterexample = ceAfter ? { scenario: ceAfter.scenario, variant: after!.name } : ceBefore ? { scenario: ceBefore.scenario, variant: before!.name } : null;
  return {
    name, format: input.format,
    diagnostics: input.diagnostics.map(formatDiagnostic),
    patches, modelled: series.modelledFile, understood: series.understood,
    steps: series.touchedSteps.map(stepOf),
    unexplained: series.unexplained.map((u) => `${evidenceText(u)}  (in ${u.fn})`),
    before: before?.name ?? '', after: after?.name ?? '',
    decisions: series.decisions.map((d) => ({ policy: d.policy, before: d.before, after: d.after, changed: d.changed, rule: d.rule, evidence: d.evidence.map(evidenceText) })),
    notes: series.notes,
    checks, counterexample, tree: anchors.length > 0,
  };
}

