/**
 * `kvm-mmu-lab patch <file> [--tree <kernel dir>] [--json]`: read a patch (mail, mbox series,
 * git show, diff, web-archive text), say what it touches in the model, the variant before and
 * after it with the evidence, and the built-in scenarios' checks under both.
 * Exit: 0 the checks pass under "after"; 1 a violation under "after"; 2 bad usage, bad input,
 * or a patch the classifier cannot map to a variant.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { anchorSources, type AnchorResult, type SourceFile } from '../anchor/anchor';
import { checkFile, type FileCheck } from '../patch/apply';
import { classify, type Classification } from '../patch/classify';
import { formatDiagnostic, hasErrors, MAX_PATCH_BYTES, parsePatchInput } from '../patch/parse';
import type { ParsedInput } from '../patch/types';
import { BUILTIN_SCENARIOS, builtinScenario } from '../scenario/builtins';
import { runScenario, toReport, type Report } from '../trace/run';
import type { Variant } from '../variants';

/** The files under a kernel tree that hold modelled steps. */
export const TREE_FILES = ['arch/x86/kvm/mmu/mmu.c', 'arch/x86/kvm/mmu/paging_tmpl.h', 'arch/x86/kvm/mmu/spte.c', 'arch/x86/kvm/x86.c', 'virt/kvm/kvm_main.c'];

class PatchCliError extends Error {}

function readInput(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new PatchCliError(`${file}: not a file; expected a patch file (mbox, format-patch, git show output, diff, or web-archive text)`);
    size = st.size;
  } catch (e) {
    if (e instanceof PatchCliError) throw e;
    throw new PatchCliError(`${file}: cannot read it (${(e as Error).message.split('\n')[0]})`);
  }
  if (size > MAX_PATCH_BYTES) throw new PatchCliError(`${file}:1: ${size} bytes; expected a patch file under ${MAX_PATCH_BYTES} bytes`);
  const buf = readFileSync(file);
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    let line = 1;
    for (let k = buf.indexOf(10); k >= 0 && k < nul; k = buf.indexOf(10, k + 1)) line++;
    throw new PatchCliError(`${file}:${line}: binary data (a NUL byte); expected text: a patch mail or a unified diff`);
  }
  return buf.toString('utf8');
}

function readTree(dir: string): SourceFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PatchCliError(`--tree ${dir}: not a directory; expected the top of a kernel tree (holding arch/x86/kvm/mmu/mmu.c)`);
  const files: SourceFile[] = [];
  for (const rel of TREE_FILES) {
    const p = join(dir, rel);
    if (existsSync(p) && statSync(p).isFile() && statSync(p).size <= MAX_PATCH_BYTES) files.push({ path: rel, text: readFileSync(p, 'utf8') });
  }
  if (files.length === 0) throw new PatchCliError(`--tree ${dir}: none of ${TREE_FILES.join(', ')} is there; expected the top of a kernel tree`);
  return files;
}

interface CheckRow { scenario: string; verdict: Report['verdict']; remoteFlushes: number; splitFlushes: number; violations: string[] }

function checks(v: Variant): CheckRow[] {
  return BUILTIN_SCENARIOS.map((name) => {
    const s = builtinScenario(name)!;
    const t = runScenario(s, { variant: v, checks: { keepSteps: false } });
    const r = toReport(t);
    return { scenario: name, verdict: r.verdict, remoteFlushes: r.counters.remoteFlushes, splitFlushes: r.counters.splitFlushes, violations: t.violations.map((x) => `${x.kind}${x.strength ? ` (${x.strength})` : ''}: ${x.message}`) };
  });
}

export interface PatchReport {
  input: ParsedInput;
  perPatch: Array<{ index: number; classification: Classification }>;
  series: Classification;
  anchors?: AnchorResult[];
  blobChecks?: Array<{ patch: number; check: Omit<FileCheck, 'result'> }>;
  checks: { before?: CheckRow[]; after?: CheckRow[] };
  exitCode: number;
}

/** Everything the command prints, as data (the JSON output). */
export function patchReport(file: string, tree?: string): PatchReport {
  const text = readInput(file);
  const input = parsePatchInput(text, file);
  const real = input.patches.filter((p) => !p.cover);
  const series = classify(input.patches);
  const perPatch = real.map((p) => ({ index: p.index, classification: classify([p]) }));
  const report: PatchReport = { input, perPatch, series, checks: {}, exitCode: 0 };
  if (hasErrors(input)) { report.exitCode = 2; return report; }
  if (!series.modelledFile) {
    const f = real[0]?.files[0];
    input.diagnostics.push({ severity: 'error', file, line: f?.inputLine ?? 1, message: `the patch changes ${[...new Set(real.flatMap((p) => p.files.map((x) => x.path)))].join(', ')}, none of which holds a modelled step`, expected: `a change to ${TREE_FILES.join(', ')}` });
    report.exitCode = 2;
    return report;
  }
  if (tree) {
    const sources = readTree(tree);
    report.anchors = anchorSources(sources);
    report.blobChecks = [];
    for (const p of real) for (const f of p.files) {
      const src = sources.find((s) => s.path === f.path);
      if (!src) continue;
      const check: Omit<FileCheck, 'result'> & { result?: string } = checkFile(f, src.text);
      delete check.result;
      report.blobChecks.push({ patch: p.index, check });
    }
  }
  if (series.before) report.checks.before = checks(series.before);
  if (series.after) report.checks.after = checks(series.after);
  if (!series.after) report.exitCode = 2;
  else report.exitCode = report.checks.after!.some((r) => r.verdict === 'violation') ? 1 : 0;
  return report;
}

function ev(e: { patch: number; hunk: number; inputLine: number; kind: string; text: string }): string {
  return `patch ${e.patch}, hunk ${e.hunk}, line ${e.inputLine}: ${e.kind === ' ' ? ' ' : e.kind}${e.text}`;
}

export function patchText(r: PatchReport): string {
  const out: string[] = [];
  const { input } = r;
  out.push(`${input.name}: ${input.format}${input.crlf ? ' (CRLF)' : ''}, ${input.patches.length} message(s), ${input.lines} lines`);
  for (const d of input.diagnostics) out.push(formatDiagnostic(d));
  for (const p of input.patches) {
    const num = p.prefix.number !== undefined ? ` ${p.prefix.number}/${p.prefix.total}` : '';
    const ver = p.prefix.version !== undefined ? ` v${p.prefix.version}` : '';
    out.push('', `[${p.index}]${ver}${num} ${p.subject || '(no subject)'}${p.cover ? ' (cover letter)' : ''}`);
    if (p.author || p.date) out.push(`    author: ${p.author ?? '?'}${p.email ? ` <${p.email}>` : ''}; date: ${p.date ?? '?'}${p.commit ? `; commit ${p.commit.slice(0, 12)}` : ''}`);
    for (const t of p.trailers) out.push(`    ${t.key}: ${t.value}`);
    for (const f of p.files) out.push(`    ${f.path} (${f.status}${f.oldBlob ? `, ${f.oldBlob}..${f.newBlob}` : ''}): ${f.hunks.length} hunk(s)${f.hunks.some((h) => h.whitespaceLost) ? ', whitespace lost' : ''}`);
    const c = r.perPatch.find((x) => x.index === p.index)?.classification;
    if (c && c.modelledFile) {
      out.push(`    modelled functions: ${c.touchedFunctions.join(', ') || 'none'}${c.otherFunctions.length ? `; other functions: ${c.otherFunctions.join(', ')}` : ''}`);
      if (c.touchedSteps.length) out.push(`    modelled steps: ${c.touchedSteps.join(', ')}`);
      for (const d of c.decisions.filter((x) => x.changed)) out.push(`    changes ${d.policy}: ${d.before} -> ${d.after}`);
      for (const u of c.unexplained) out.push(`    NOT UNDERSTOOD: ${u.fn}: line ${u.inputLine}: ${u.kind}${u.text}`);
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
    for (const a of r.anchors) out.push(a.found ? `  ${a.id.padEnd(20)} ${a.file}:${a.line} in ${a.function}() [${a.how}, ${a.confidence}]${a.note ? ` (${a.note})` : ''}` : `  ${a.id.padEnd(20)} not found: ${a.reason}`);
  }
  const s = r.series;
  if (!s.modelledFile) return out.join('\n') + '\n';
  out.push('', 'classification:');
  for (const d of s.decisions) {
    out.push(`  ${d.policy}: ${d.before}${d.changed ? ` -> ${d.after}` : ' (unchanged)'}   [before: ${d.beforeHow}, after: ${d.afterHow}]`);
    out.push(`      ${d.rule}`);
    for (const e of d.evidence) out.push(`      ${ev(e)}`);
  }
  for (const n of s.notes) out.push(`  note: ${n}`);
  out.push('', `before: ${s.before?.name ?? '(not determined)'}`, `after:  ${s.after?.name ?? '(not determined: the patch changes modelled functions in ways the classifier does not understand)'}`);
  if (!s.understood) {
    out.push('  changes no rule explains:');
    for (const u of s.unexplained) out.push(`    ${ev(u)}  (in ${u.fn})`);
    out.push(`  modelled steps touched: ${s.touchedSteps.join(', ')}`);
  }
  for (const side of ['before', 'after'] as const) {
    const rows = r.checks[side];
    if (!rows) continue;
    out.push('', `checks (${side}: ${s[side]!.name}):`);
    for (const row of rows) {
      out.push(`  ${row.scenario.padEnd(16)} ${row.verdict.toUpperCase().padEnd(9)} ${row.remoteFlushes} remote flushes (${row.splitFlushes} from eager split)`);
      for (const v of row.violations) out.push(`      ${v}`);
    }
  }
  return out.join('\n') + '\n';
}

/** Register the command on the program (src/cli/main.ts). */
export function registerPatchCommand(program: Command, setExit: (code: number) => void): void {
  program.command('patch').argument('<file>', 'a patch: mbox / format-patch / b4 am / git show / diff / web-archive text')
    .description('what a patch changes in the model: series, touched steps, the variant before and after, and the checks under both')
    .option('--tree <dir>', 'a kernel tree: anchor the modelled steps in it and check the patch applies to it')
    .option('--json', 'print JSON instead of text')
    .action((file: string, o: { tree?: string; json?: boolean }) => {
      try {
        const r = patchReport(file, o.tree);
        if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          const text = patchText(r);
          if (r.exitCode === 2 && hasErrors(r.input)) {
            process.stderr.write(r.input.diagnostics.filter((d) => d.severity === 'error').map((d) => `kvm-mmu-lab: ${formatDiagnostic(d)}\n`).join(''));
          }
          process.stdout.write(text);
        }
        setExit(r.exitCode);
      } catch (e) {
        if (!(e instanceof PatchCliError)) throw e;
        process.stderr.write(`kvm-mmu-lab: ${e.message}\n`);
        setExit(2);
      }
    });
}
