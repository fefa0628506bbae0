/**
 * `kvm-mmu-lab patch <file> [--tree <kernel dir>] [--flush-mode bare-metal|range|both] [--json]`:
 * read a patch (mail, mbox series, git show, diff, web-archive text; or a cover letter, pull
 * request or push notification, which have no diff), say what it touches in the model, the
 * variant before and after it with the evidence, and the built-in scenarios' checks under both,
 * in each flush mode of the host.
 * Exit: 0 the checks pass after the patch in every mode (or there is nothing to check: no diff, no
 * modelled function changed); 1 a violation after the patch; 2 bad usage or bad input (also a diff
 * of files that hold no modelled step); 3 the patch changes modelled code in ways the classifier
 * does not understand.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { anchorSources, confidenceText, type AnchorResult, type SourceFile } from '../src/anchor/anchor';
import type { AnchorId } from '../src/kernel/anchors';
import type { FlushMode } from '../src/model/modes';
import { checkFile, type FileCheck } from '../src/patch/apply';
import { assess, existingSteps, OUTCOME_EXIT, patchSteps, type Assessment, type Outcome } from '../src/review/assess';
import { FLUSH_MODE_WORDS, FLUSH_MODES, type ScenarioVerdict, type VariantChecks } from '../src/review/checks';
import { classify, type Classification } from '../src/patch/classify';
import { MAIL_KIND_WORDS } from '../src/patch/listing';
import { formatDiagnostic, hasErrors, MAX_PATCH_BYTES, parsePatchInput } from '../src/patch/parse';
import type { ParsedInput } from '../src/patch/types';
import { EXIT_USAGE, UsageError, type JsonError } from './exit';
import { terminalSafe } from '../src/view/terminal_text';
import { isFsError, readInputFile, statInput } from './files';
import { maxMemoryOption, defaultBudgetBytes, memoryBudget, refusePatchOverBudget, type MemoryBudget } from './budget';

/** The files under a kernel tree that hold modelled steps. */
export const TREE_FILES = ['arch/x86/kvm/mmu/mmu.c', 'arch/x86/kvm/mmu/paging_tmpl.h', 'arch/x86/kvm/mmu/spte.c', 'arch/x86/kvm/x86.c', 'virt/kvm/kvm_main.c'];

const PATCH_FILE = 'a patch file (mbox, format-patch, git show output, diff, or web-archive text)';

function readInput(file: string, budget: MemoryBudget): string {
  const buf = readInputFile(file, PATCH_FILE, MAX_PATCH_BYTES);
  refusePatchOverBudget(file, buf, budget);
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    let line = 1;
    for (let k = buf.indexOf(10); k >= 0 && k < nul; k = buf.indexOf(10, k + 1)) line++;
    throw new UsageError(`${file}:${line}: binary data (a NUL byte); expected text: a patch mail or a unified diff`, { file, line });
  }
  return buf.toString('utf8');
}

function readTree(dir: string): SourceFile[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    if (!isFsError(e)) throw e;
  }
  if (!isDir) throw new UsageError(`--tree ${dir}: not a directory; expected the top of a kernel tree (holding arch/x86/kvm/mmu/mmu.c)`, { file: dir });
  const files: SourceFile[] = [];
  for (const rel of TREE_FILES) {
    const p = join(dir, rel);
    // A file the tree lacks is left out (anchors say "not found"); one it has must be readable.
    if (statInput(p, 'a kernel source file') && statSync(p).size <= MAX_PATCH_BYTES) files.push({ path: rel, text: readInputFile(p, 'a kernel source file', MAX_PATCH_BYTES).toString('utf8') });
  }
  if (files.length === 0) throw new UsageError(`--tree ${dir}: none of ${TREE_FILES.join(', ')} is there; expected the top of a kernel tree`, { file: dir });
  return files;
}

export interface PatchReport {
  input: ParsedInput;
  /** Each patch's own classification, and the touched steps its code before or after has. */
  perPatch: Array<{ index: number; classification: Classification; steps: AnchorId[] }>;
  series: Classification;
  /** The series' touched steps that its code before or after has. */
  steps: AnchorId[];
  outcome: Outcome;
  /** The outcome in one sentence (the review view says the same). */
  verdict: string;
  flushModes: FlushMode[];
  anchors?: AnchorResult[];
  blobChecks?: Array<{ patch: number; check: Omit<FileCheck, 'result'> }>;
  /** Every built-in scenario in every flush mode checked, each row naming its mode. */
  checks: { before?: ScenarioVerdict[]; after?: ScenarioVerdict[] };
  findings: string[];
  counterexample: Assessment['counterexample'];
  exitCode: number;
}

/** --flush-mode (one of its choices): both, or one. */
export function flushModes(option: FlushMode | 'both'): FlushMode[] {
  return option === 'both' ? [...FLUSH_MODES] : [option];
}

/** Everything the command prints, as data (the JSON output). Asynchronous: the blob check hashes with crypto.subtle. */
export async function patchReport(file: string, tree?: string, modes: FlushMode[] = [...FLUSH_MODES], budget: MemoryBudget = { bytes: defaultBudgetBytes(), given: false }): Promise<PatchReport> {
  const text = readInput(file, budget);
  const input = parsePatchInput(text, file);
  const real = input.patches.filter((p) => !p.cover);
  const series = classify(input.patches);
  const judged = assess(input, series, modes, hasErrors(input));
  const stepsOf = patchSteps(judged);
  const perPatch = real.map((p) => {
    const classification = classify([p]);
    return { index: p.index, classification, steps: stepsOf(classification) };
  });
  const report: PatchReport = {
    input, perPatch, series, steps: existingSteps(series.touchedSteps, [judged.before, judged.after]),
    outcome: judged.outcome, verdict: judged.verdict, flushModes: modes,
    checks: { ...(judged.before ? { before: judged.before.rows } : {}), ...(judged.after ? { after: judged.after.rows } : {}) },
    findings: judged.findings, counterexample: judged.counterexample, exitCode: OUTCOME_EXIT[judged.outcome],
  };
  if (judged.outcome === 'not-modelled') {
    const f = real[0]?.files[0];
    input.diagnostics.push({ severity: 'error', file, line: f?.inputLine ?? 1, message: `the patch changes ${[...new Set(real.flatMap((p) => p.files.map((x) => x.path)))].join(', ')}, none of which holds a modelled step`, expected: `a change to ${TREE_FILES.join(', ')}` });
  }
  if (tree && judged.outcome !== 'bad-input' && judged.outcome !== 'not-modelled') {
    const sources = readTree(tree);
    report.anchors = anchorSources(sources);
    report.blobChecks = [];
    for (const p of real) for (const f of p.files) {
      const src = sources.find((s) => s.path === f.path);
      if (!src) continue;
      const check: Omit<FileCheck, 'result'> & { result?: string } = await checkFile(f, src.text);
      delete check.result;
      report.blobChecks.push({ patch: p.index, check });
    }
  }
  return report;
}

function ev(e: { patch: number; hunk: number; inputLine: number; kind: string; text: string }): string {
  return `patch ${e.patch}, hunk ${e.hunk}, line ${e.inputLine}: ${e.kind === ' ' ? ' ' : e.kind}${e.text}`;
}

function checkRows(out: string[], side: string, c: VariantChecks['variant']['name'], rows: ScenarioVerdict[], modes: FlushMode[]): void {
  for (const m of modes) {
    out.push('', `checks (${side}: ${c}), ${FLUSH_MODE_WORDS[m]}:`);
    // The names' column as wide as the longest (uaf-unexpected-role is 19), so the verdicts line up.
    const width = Math.max(...rows.map((x) => x.scenario.length));
    for (const row of rows.filter((x) => x.flushMode === m)) {
      out.push(`  ${row.scenario.padEnd(width)} ${row.verdict.toUpperCase().padEnd(9)} ${row.remoteFlushes} remote flush${row.remoteFlushes === 1 ? '' : 'es'} (${row.splitFlushes} from eager split)`);
      for (const v of row.violations) out.push(`      ${v}`);
    }
  }
}

export function patchText(r: PatchReport): string {
  const out: string[] = [];
  const { input } = r;
  out.push(`${input.name}: ${input.format}${input.crlf ? ' (CRLF)' : ''}, ${input.patches.length} message(s), ${input.lines} lines`);
  for (const d of input.diagnostics) out.push(formatDiagnostic(d));
  for (const p of input.patches) {
    const num = p.prefix.number !== undefined ? ` ${p.prefix.number}/${p.prefix.total}` : '';
    const ver = p.prefix.version !== undefined ? ` v${p.prefix.version}` : '';
    const tags = p.prefix.tags.filter((t) => t.toUpperCase() !== 'PATCH');
    out.push('', `[${p.index}]${tags.length ? ` [${tags.join(' ')}]` : ''}${ver}${num} ${p.subject || '(no subject)'}${p.cover ? ` (${MAIL_KIND_WORDS[p.kind]})` : ''}`);
    if (p.author || p.date || p.commit) out.push(`    author: ${p.author ?? '?'}${p.email ? ` <${p.email}>` : ''}; date: ${p.date ?? '?'}${p.commit ? `; commit ${p.commit.slice(0, 12)}` : ''}`);
    for (const t of p.trailers) out.push(`    ${t.key}: ${t.value}`);
    if (p.base || p.tip) out.push(`    ${p.base ? `base ${p.base.slice(0, 12)}` : ''}${p.base && p.tip ? ', ' : ''}${p.tip ? `tip ${p.tip.slice(0, 12)}` : ''}`);
    if (p.listed.length) {
      out.push(`    lists ${p.listed.length} commit(s):`);
      for (const l of p.listed) out.push(`      ${l.commit ? `${l.commit.slice(0, 12)} ` : ''}${l.subject}${l.author ? `  (${l.author})` : ''}`);
    }
    for (const f of p.files) out.push(`    ${f.path} (${f.status}${f.oldBlob ? `, ${f.oldBlob}..${f.newBlob}` : ''}): ${f.hunks.length} hunk(s)${f.hunks.some((h) => h.whitespaceLost) ? ', whitespace lost' : ''}`);
    const pp = r.perPatch.find((x) => x.index === p.index);
    const c = pp?.classification;
    if (c && c.modelledFile) {
      out.push(`    modelled functions: ${c.touchedFunctions.join(', ') || 'none'}${c.otherFunctions.length ? `; other functions: ${c.otherFunctions.join(', ')}` : ''}`);
      if (pp.steps.length) out.push(`    modelled steps: ${pp.steps.join(', ')}`);
      for (const d of c.decisions.filter((x) => x.changed)) out.push(`    changes ${d.policy}: ${d.before} -> ${d.after}`);
      for (const u of c.unexplained) out.push(`    NOT UNDERSTOOD: ${u.fn}: line ${u.inputLine}: ${u.kind}${u.text}`);
      for (const a of c.addedFunctions) out.push(`    NOT UNDERSTOOD: adds ${a.name}() whole (line ${a.evidence.inputLine})`);
    }
  }
  if (r.blobChecks) {
    out.push('', 'tree check:');
    for (const b of r.blobChecks) {
      out.push(`  [${b.patch}] ${b.check.path}: ${b.check.verdict} (${b.check.detail})`);
      for (const h of b.check.hunks) out.push(`      hunk ${h.hunk} (line ${h.inputLine}): ${h.ok ? `applies at line ${h.at}, offset ${h.offset}` : h.alreadyApplied ? `already applied (its new lines are at line ${h.at}, offset ${h.offset})` : `FAILS: ${h.message}`}`);
      if (b.check.resultBlob && b.check.verdict !== 'post-image') out.push(`      all hunks apply; the result's blob is ${b.check.resultBlob.slice(0, 12)}`);
    }
  }
  if (r.anchors) {
    out.push('', 'anchors in the tree:');
    for (const a of r.anchors) out.push(a.found ? `  ${a.id.padEnd(20)} ${a.file}:${a.line} in ${a.function}() [${confidenceText(a)}]${a.note ? ` (${a.note})` : ''}` : `  ${a.id.padEnd(20)} not found: ${a.reason}${a.functionLine !== undefined ? ` (showing the function's first line, ${a.file}:${a.functionLine})` : ''}`);
  }
  const s = r.series;
  if (s.modelledFile && s.touchedFunctions.length) {
    out.push('', 'classification:');
    for (const d of s.decisions) {
      out.push(`  ${d.policy}: ${d.before}${d.changed ? ` -> ${d.after}` : ' (unchanged)'}   [before: ${d.beforeHow}, after: ${d.afterHow}]`);
      out.push(`      ${d.rule}`);
      for (const e of d.evidence) out.push(`      ${ev(e)}`);
    }
    for (const n of s.notes) out.push(`  note: ${n}`);
    out.push('', `before: ${s.before?.name ?? `(not determined: ${s.addedFunctions.length ? 'the patch adds code that every variant of the model has' : 'lines the patch removes match no rule'})`}`, `after:  ${s.after?.name ?? '(not determined: the patch is not understood)'}`);
    if (!s.understood) {
      for (const reason of s.reasons) out.push(`  not understood: ${reason}`);
      if (s.unexplained.length) {
        out.push('  changes no rule explains:');
        for (const u of s.unexplained) out.push(`    ${ev(u)}  (in ${u.fn})`);
      }
      out.push(`  modelled steps touched: ${r.steps.join(', ')}`);
    }
  } else {
    for (const n of s.notes) out.push('', `note: ${n}`);
  }
  if (r.checks.before) checkRows(out, 'before', s.before!.name, r.checks.before, r.flushModes);
  if (r.checks.after) checkRows(out, 'after', s.after!.name, r.checks.after, r.flushModes);
  if (r.findings.length) {
    out.push('', 'findings:');
    for (const f of r.findings) out.push(`  - ${f}`);
  }
  out.push('', `verdict: ${r.verdict}`);
  return out.join('\n') + '\n';
}

/**
 * A patch that is bad input (exit 2) says so under --json in the one error shape of every command
 * (./exit.ts JsonError), beside the report and its diagnostics: the first error diagnostic.
 */
function patchError(r: PatchReport): { error: JsonError } | Record<string, never> {
  const d = r.exitCode === EXIT_USAGE ? r.input.diagnostics.find((x) => x.severity === 'error') : undefined;
  return d ? { error: { code: 'patch', message: formatDiagnostic(d), file: d.file, line: d.line } } : {};
}

/** Register the command on the program (cli/main.ts). */
export function registerPatchCommand(program: Command, setExit: (code: number) => void): void {
  program.command('patch').argument('<file>', 'a patch: mbox / format-patch / b4 am / git show / diff / web-archive text')
    .description('what a patch changes in the model: series, touched steps, the variant before and after, and the checks under both')
    .option('--tree <dir>', 'a kernel tree: anchor the modelled steps in it and check the patch applies to it')
    .addOption(new Option('--flush-mode <mode>', 'remote flushes of the host: bare metal (every flush is full), range (a range-capable flush, as with Hyper-V), or both').choices([...FLUSH_MODES, 'both']).default('both'))
    .option('--json', 'print JSON instead of text')
    .addOption(maxMemoryOption('patch'))
    .action(async (file: string, o: { tree?: string; json?: boolean; flushMode: FlushMode | 'both'; maxMemory?: string }) => {
      const r = await patchReport(file, o.tree, flushModes(o.flushMode), memoryBudget(o.maxMemory, true));
      if (o.json) process.stdout.write(JSON.stringify({ ...r, ...patchError(r) }, null, 2) + '\n');
      else {
        const text = patchText(r);
        if (r.exitCode === 2 && r.input.diagnostics.some((d) => d.severity === 'error')) {
          process.stderr.write(terminalSafe(r.input.diagnostics.filter((d) => d.severity === 'error').map((d) => `kvm-mmu-lab: ${formatDiagnostic(d)}\n`).join('')));
        }
        // Subjects, authors, trailers and file names come from the mail: escaped (src/view/terminal_text.ts).
        process.stdout.write(terminalSafe(text));
      }
      setExit(r.exitCode);
    });
}
