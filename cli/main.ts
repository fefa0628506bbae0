/**
 * kvm-mmu-lab: the simulation core from a terminal, for scripts and mail replies.
 * Exit status: 0 the checks pass, 1 a violation was found, 2 bad usage or bad input, 4 a bug
 * (./exit.ts maps errors to statuses; `patch` and `explore` add 3).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { compareVariants } from '../src/review/compare';
import { BUILTIN_SCENARIOS, builtinScenario, builtinScenarioText } from '../src/scenario/builtins';
import { parseScenario, MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import type { Scenario } from '../src/scenario/types';
import { runScenario, toReport } from '../src/run/run';
import { traceText } from '../src/view/trace_text';
import { compareText } from '../src/view/compare_text';
import { parseVariant, POLICY_VALUES, PRESETS } from '../src/kernel/variants';
import { ERAS, ERA_IDS } from '../src/kernel/eras';
import type { SplitYield } from '../src/model/modes';
import { VIOLATION_KINDS, type ViolationKind } from '../src/model/step';
import { FLUSH_MODES } from '../src/review/checks';
import { EXIT_PASS, EXIT_VIOLATION, failure, UsageError } from './exit';
import { registerPatchCommand } from './patch';
import { registerExplore } from './explore';
import { exitQuietlyOnClosedPipe } from './pipe';

function loadScenario(arg: string): Scenario {
  const builtin = builtinScenario(arg);
  if (builtin) return builtin;
  let size: number;
  try {
    const st = statSync(arg);
    if (!st.isFile()) throw new UsageError(`'${arg}' is not a file; expected a scenario file or one of: ${BUILTIN_SCENARIOS.join(', ')}`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`no built-in scenario or file named '${arg}'; built-in scenarios: ${BUILTIN_SCENARIOS.join(', ')}`);
  }
  if (size > MAX_SCENARIO_BYTES) throw new UsageError(`${arg}: ${size} bytes; a scenario file is expected to be under ${MAX_SCENARIO_BYTES}`);
  return parseScenario(readFileSync(arg, 'utf8'), arg);
}

/** --split-yield's choices: every SplitYield. */
const SPLIT_YIELDS: readonly SplitYield[] = ['cache', 'every', 'never'];

interface RunOpts {
  variant?: string;
  flushMode?: 'bare-metal' | 'range';
  splitYield?: 'cache' | 'every' | 'never';
  json?: boolean;
  out?: string;
  configBugOnDataCorruption?: boolean;
  until?: ViolationKind;
}

function runOptions(s: Scenario, o: RunOpts) {
  return {
    variant: parseVariant(o.variant ?? s.variant),
    ...(o.flushMode ? { flushMode: o.flushMode } : {}),
    ...(o.splitYield ? { splitYield: o.splitYield } : {}),
    ...(o.configBugOnDataCorruption ? { bugOnDataCorruption: true } : {}),
    ...(o.until ? { until: o.until } : {}),
  };
}

function emit(text: string, out?: string): void {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('-v, --variant <variant>', `a preset (${PRESETS.map((p) => p.name).join(', ')}), or preset+policy=value,...`)
    .addOption(new Option('--flush-mode <mode>', 'remote flush of the host').choices(FLUSH_MODES))
    .addOption(new Option('--split-yield <when>', 'when the split drops mmu_lock between huge pages').choices(SPLIT_YIELDS))
    .option('--config-bug-on-data-corruption', 'the host kernel has CONFIG_BUG_ON_DATA_CORRUPTION=y: KVM_BUG_ON_DATA_CORRUPTION() (the mainline-2026 rmap_remove() miss) is a BUG() that ends the run')
    .addOption(new Option('--until <kind>', 'stop the run at the first violation of this kind (the earlier ones are reported and the run goes on past them)').choices(VIOLATION_KINDS))
    .option('--json', 'print JSON instead of text');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('kvm-mmu-lab')
    .description('Run KVM x86 shadow-MMU eager-split scenarios under variants of the code, and check them.')
    .version('0.1.0')
    .showHelpAfterError('(run kvm-mmu-lab --help for usage)')
    .exitOverride();

  commonOptions(program.command('run').argument('<scenario>', 'a built-in scenario name or a scenario file'))
    .description('print the step-by-step trace (plain text fit for a mail reply)')
    .option('-o, --out <file>', 'write the trace to a file')
    .option('--full', 'print every step; by default runs of identical splits are folded')
    .action((arg: string, o: RunOpts & { full?: boolean }) => {
      const s = loadScenario(arg);
      const t = runScenario(s, runOptions(s, o));
      emit(o.json ? JSON.stringify({ ...toReport(t), trace: t.steps }, null, 2) + '\n' : traceText(t, !o.full), o.out);
      setExit(t.verdict === 'pass' ? EXIT_PASS : EXIT_VIOLATION);
    });

  commonOptions(program.command('check').argument('<scenario>', 'a built-in scenario name or a scenario file'))
    .description('run the checks and print the verdict')
    .action((arg: string, o: RunOpts) => {
      const s = loadScenario(arg);
      const t = runScenario(s, { ...runOptions(s, o), checks: { keepSteps: false } });
      const r = toReport(t);
      if (o.json) emit(JSON.stringify(r, null, 2) + '\n');
      else {
        emit(`${s.name} under ${r.variant} (${r.flushMode}): ${r.verdict.toUpperCase()}\n`);
        for (const v of t.violations) emit(`  step ${v.step}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${v.message}\n`);
        emit(`  ${r.counters.remoteFlushes} remote flush${r.counters.remoteFlushes === 1 ? '' : 'es'} (${r.counters.splitFlushes} from eager split), ${r.counters.flushesSkipped} skipped, ${r.counters.spsReused} SP${r.counters.spsReused === 1 ? '' : 's'} reused\n`);
      }
      setExit(t.verdict === 'pass' ? EXIT_PASS : EXIT_VIOLATION);
    });

  program.command('compare').argument('<scenario>', 'a built-in scenario name or a scenario file')
    .description('every preset on one scenario: verdicts and flushes side by side')
    .addOption(new Option('--flush-mode <mode>', 'remote flush of the host').choices(FLUSH_MODES))
    .option('--json', 'print JSON instead of text')
    .option('--full-scale', 'also count the split flushes of each variant on a 64 GiB guest on 1 GiB pages (about a second a variant)')
    .action((arg: string, o: RunOpts & { fullScale?: boolean }) => {
      const s = loadScenario(arg);
      const rows = compareVariants(s, o.flushMode, undefined, o.fullScale);
      emit(o.json ? JSON.stringify({ scenario: s.name, rows }, null, 2) + '\n' : `${s.name}: ${s.title}\n\n${compareText(rows)}`);
      setExit(rows.some((r) => r.verdict === 'violation') ? EXIT_VIOLATION : EXIT_PASS);
    });

  program.command('scenarios').description('list the built-in scenarios').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const list = BUILTIN_SCENARIOS.map((n) => ({ name: n, title: builtinScenario(n)!.title }));
      emit(o.json ? JSON.stringify(list, null, 2) + '\n' : list.map((x) => `${x.name.padEnd(16)} ${x.title}`).join('\n') + '\n');
    });

  program.command('show').argument('<scenario>', 'a built-in scenario name').description('print a built-in scenario as a file to copy and edit')
    .action((name: string) => {
      const text = builtinScenarioText(name);
      if (!text) throw new UsageError(`no built-in scenario '${name}'; expected one of ${BUILTIN_SCENARIOS.join(', ')}`);
      emit(text);
    });

  program.command('variants').description('list the presets and the policies a variant is made of').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) { emit(JSON.stringify({ presets: PRESETS, policies: POLICY_VALUES }, null, 2) + '\n'); return; }
      const lines = PRESETS.flatMap((p) => [`${p.name.padEnd(14)} [${p.era}] ${p.summary}`, `${''.padEnd(14)} code: ${p.eraNote}`]);
      lines.push('', 'eras (the kernel whose code and function names a preset follows; a composed variant keeps its base preset\'s):');
      for (const e of ERA_IDS) lines.push(`  ${e.padEnd(14)} ${ERAS[e].label}`);
      lines.push('', 'policies (compose as preset+policy=value,... or policy=value,...):');
      for (const [k, vals] of Object.entries(POLICY_VALUES)) lines.push(`  ${k.padEnd(15)} ${vals.join(' | ')}`);
      emit(lines.join('\n') + '\n');
    });
  registerPatchCommand(program, setExit);
  registerExplore(program, setExit);
  return program;
}

/**
 * Run one command line; resolves to the exit status. `onExit` hears the status as soon as a
 * command knows it (before its output has drained), so that the process can carry it even when a
 * closed pipe ends it early (./pipe.ts); tests that call main() in-process leave it out.
 */
export async function main(argv: string[], onExit?: (code: number) => void): Promise<number> {
  let code = EXIT_PASS;
  const program = buildProgram((c) => { code = c; onExit?.(c); });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const f = failure(e);
    process.stderr.write(f.message);
    onExit?.(f.code);
    return f.code;
  }
}

if (require.main === module) {
  exitQuietlyOnClosedPipe();
  void main(process.argv.slice(2), (code) => { process.exitCode = code; });
}
