/**
 * A patch review as plain data: what the extension's review view shows (and what a test can
 * compare with). Parses a patch mail or diff, classifies it into the variant before and after,
 * anchors the touched steps in a kernel tree when one is given, and runs the built-in scenarios
 * under both, in both flush modes of the host (bare metal, and a range-capable flush as with
 * Hyper-V). Pure: no I/O, no vscode; the caller reads the files. The outcome, its sentence and the
 * findings come from src/review/assess.ts, which the CLI uses too.
 */
import { anchorSources, confidenceText, type AnchorResult, type SourceFile } from '../anchor/anchor';
import { ANCHORS, type AnchorId } from '../kernel/anchors';
import type { FlushMode } from '../model/modes';
import { assess, existingSteps, patchSteps, type Outcome } from './assess';
import { FLUSH_MODE_WORDS, FLUSH_MODES, type ScenarioVerdict, type VariantChecks } from './checks';
import { classify, type Evidence } from '../patch/classify';
import { MAIL_KIND_WORDS } from '../patch/listing';
import { formatDiagnostic, hasErrors, parsePatchInput } from '../patch/parse';
import { BUILTIN_SCENARIOS } from '../scenario/builtins';

/** The files under a kernel tree that hold modelled steps (paths relative to its top). */
export { REVIEW_TREE_FILES, looksLikePatch } from '../patch/detect';

/** A modelled step: its function and, when a tree was given and it was found there, its file and line (1-based). */
export interface ReviewStep {
  /** The model's name of the step (for tests and the JSON); the view shows fn and stmt instead. */
  id: string;
  fn: string;
  /** The statement the step stands for, as the kernel writes it: what a reviewer recognises. */
  stmt: string;
  file: string;
  line?: number;
  /** How it was found: "exact", "renamed, 0.9", "moved by <commit>, 0.75", "fuzzy, score 0.58". */
  how?: string;
  /** Why there is no line: no tree, or what the anchoring found (function missing, statement missing). */
  why?: string;
}

export interface ReviewPatch {
  index: number;
  /** "[PATCH v7 2/3]" as printed: tags, version and number. */
  prefix: string;
  subject: string;
  author: string;
  date: string;
  cover: boolean;
  /** "patch", "cover letter", "pull request", "push notification", "mail without a diff". */
  kind: string;
  commit: string;
  /** The commits a mail without a diff lists: "<id> <subject>" or "<subject> (<author>)". */
  listed: string[];
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
  flushMode: FlushMode;
  /** The flush mode in words: "bare metal", "range-capable flush (Hyper-V)". */
  mode: string;
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
  /** One of src/review/assess.ts's outcomes, and the sentence that says it. */
  outcome: Outcome;
  verdict: string;
  /** Why it is not understood, one sentence each. */
  reasons: string[];
  /** The touched steps that the code before or after the patch has. */
  steps: ReviewStep[];
  unexplained: string[];
  before: string;
  after: string;
  decisions: ReviewDecision[];
  notes: string[];
  /** The flush modes checked, in words. */
  modes: string[];
  checks: ReviewCheck[];
  /** What the checks show where a mode or a side differs. */
  findings: string[];
  /** A scenario that fails (the one the patch introduces first), the variant and the flush mode to walk it in. */
  counterexample: { scenario: string; variant: string; flushMode: FlushMode } | null;
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

function verdictOf(r: ScenarioVerdict | undefined): ReviewVerdict | null {
  return r ? { verdict: r.verdict, remoteFlushes: r.remoteFlushes, splitFlushes: r.splitFlushes, violation: r.violations[0] ?? '' } : null;
}

/** Where a step is, or why it has no line. */
function stepView(id: AnchorId, anchors: AnchorResult[] | undefined): ReviewStep {
  const a = ANCHORS[id];
  const found = anchors?.find((x) => x.id === id);
  if (found?.found) return { id, fn: found.function, stmt: a.stmt, file: found.file, line: found.line, how: confidenceText(found) };
  const why = a.file.startsWith('(') ? 'a hardware step: it has no kernel source'
    : !anchors ? 'no kernel tree was given (kvmMmuLab.kernelTree, or --tree)'
      : found && !found.found ? `not found: ${found.reason}` : 'not looked up';
  return { id, fn: a.fn, stmt: a.stmt, file: a.file, why };
}

/** Reviews a patch: `text` is the mail or diff, `name` its file name; `tree` the kernel files read so far, if any. */
export function reviewPatch(text: string, name: string, tree?: SourceFile[], modes: readonly FlushMode[] = FLUSH_MODES): PatchReviewView {
  const input = parsePatchInput(text, name);
  const series = classify(input.patches);
  const anchors = tree && tree.length ? anchorSources(tree) : undefined;
  const judged = assess(input, series, modes, hasErrors(input));
  const stepsOf = patchSteps(judged);
  const patches: ReviewPatch[] = input.patches.map((p) => {
    const c = p.cover ? undefined : classify([p]);
    const steps = c ? stepsOf(c) : [];
    return {
      index: p.index, prefix: prefixText(p.prefix), subject: p.subject || p.rawSubject || '(no subject)',
      author: p.author ? `${p.author}${p.email ? ` <${p.email}>` : ''}` : (p.email ?? ''), date: p.date ?? '', cover: p.cover,
      kind: MAIL_KIND_WORDS[p.kind], commit: p.commit ?? '',
      listed: p.listed.map((l) => `${l.commit ? `${l.commit.slice(0, 12)} ` : ''}${l.subject}${l.author ? ` (${l.author})` : ''}`),
      files: p.files.map((f) => f.path),
      functions: c?.touchedFunctions ?? [], otherFunctions: c?.otherFunctions ?? [],
      steps: steps.map((id) => stepView(id, anchors)),
      changes: (c?.decisions ?? []).filter((d) => d.changed).map((d) => `${d.policy}: ${d.before} -> ${d.after}`),
      notUnderstood: (c?.unexplained ?? []).map((u) => `${u.fn}: line ${u.inputLine}: ${u.kind}${u.text}`),
    };
  });
  const rowOf = (c: VariantChecks | undefined, scenario: string, mode: FlushMode) => c?.rows.find((r) => r.scenario === scenario && r.flushMode === mode);
  const checks: ReviewCheck[] = BUILTIN_SCENARIOS.flatMap((scenario) => modes.map((m) => ({
    scenario, flushMode: m, mode: FLUSH_MODE_WORDS[m], before: verdictOf(rowOf(judged.before, scenario, m)), after: verdictOf(rowOf(judged.after, scenario, m)),
  })));
  const steps = existingSteps(series.touchedSteps, [judged.before, judged.after]);
  return {
    name, format: input.format,
    diagnostics: input.diagnostics.map(formatDiagnostic),
    patches, modelled: series.modelledFile, understood: series.understood,
    outcome: judged.outcome, verdict: judged.verdict, reasons: series.reasons,
    steps: steps.map((id) => stepView(id, anchors)),
    unexplained: series.unexplained.map((u) => `${evidenceText(u)}  (in ${u.fn})`),
    before: judged.before?.variant.name ?? '', after: judged.after?.variant.name ?? '',
    decisions: series.decisions.map((d) => ({ policy: d.policy, before: d.before, after: d.after, changed: d.changed, rule: d.rule, evidence: d.evidence.map(evidenceText) })),
    notes: series.notes,
    modes: modes.map((m) => FLUSH_MODE_WORDS[m]),
    checks, findings: judged.findings, counterexample: judged.counterexample, tree: anchors !== undefined,
  };
}
