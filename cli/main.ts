/**
 * kvm-mmu-lab: the simulation core from a terminal, for scripts and mail replies.
 * Exit status: 0 the checks pass, 1 a violation was found, 2 bad usage or bad input, 4 a bug
 * (./exit.ts maps errors to statuses; `patch` and `explore` add 3).
 */
import { Command, Option } from 'commander';
import { compareVariants } from '../src/review/compare';
import { BUILTIN_SCENARIOS, builtinScenario, builtinScenarioText } from '../src/scenario/builtins';
import { parseScenario, MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import type { Scenario } from '../src/scenario/types';
import { runScenario, toReport } from '../src/run/run';
import { traceText } from '../src/view/trace_text';
import { traceBrief } from '../src/view/trace_brief';
import { terminalSafe } from '../src/view/terminal_text';
import { compareText } from '../src/view/compare_text';
import { parseVariant, POLICY_VALUES, PRESETS } from '../src/kernel/variants';
import { ERAS, ERA_IDS } from '../src/kernel/eras';
import type { SplitYield } from '../src/model/modes';
import { VIOLATION_KINDS, type ViolationKind } from '../src/model/step';
import { FLUSH_MODES } from '../src/review/checks';
import { EXIT_PASS, EXIT_VIOLATION, failure, jsonError, UsageError, wantsJson } from './exit';
import { registerPatchCommand } from './patch';
import { registerExplore } from './explore';
import { registerWhatIf } from './whatif';
import { exitQuietlyOnClosedPipe } from './pipe';
import { readInputFile, statInput, writeOutputFile } from './files';

const SCENARIO_FILE = 'a scenario file (JSON)';
import { maxMemoryOption, memoryBudget, refuseScenarioOverBudget, runLimits, withinBudget } from './budget';

function loadScenario(arg: string): Scenario {
  const builtin = builtinScenario(arg);
  if (builtin) return builtin;
  if (!statInput(arg, `${SCENARIO_FILE} or one of the built-in scenarios: ${BUILTIN_SCENARIOS.join(', ')}`)) {
    throw new UsageError(`no built-in scenario or file named '${arg}'; built-in scenarios: ${BUILTIN_SCENARIOS.join(', ')}`, { file: arg });
  }
  return parseScenario(readInputFile(arg, SCENARIO_FILE, MAX_SCENARIO_BYTES).toString('utf8'), arg);
}

/** --split-yield's choices: every SplitYield. */
const SPLIT_YIELDS: readonly SplitYield[] = ['cache', 'every', 'never'];

interface RunOpts {
  variant?: string;
  flushMode?: 'bare-metal' | 'range';
  splitYield?: 'cache' | 'every' | 'never';
  json?: boolean;
  out?: string;
  maxMemory?: string;
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

/**
 * Print, or write to -o's file (never over one of `inputs`, the command's own input files). Text
 * goes through terminalSafe(): names and titles from inputs may hold terminal escapes. JSON is
 * left as JSON.stringify() wrote it (it escapes every C0 control itself).
 */
function emit(text: string, out?: string, inputs: readonly string[] = [], json = false): void {
  const safe = json ? text : terminalSafe(text);
  if (out) writeOutputFile(out, safe, inputs);
  else process.stdout.write(safe);
}

const emitJson = (value: unknown, out?: string, inputs: readonly string[] = []) => emit(JSON.stringify(value, null, 2) + '\n', out, inputs, true);

function commonOptions(cmd: Command): Command {
  return cmd
    .option('-v, --variant <variant>', `a preset (${PRESETS.map((p) => p.name).join(', ')}), or preset+policy=value,...`)
    .addOption(new Option('--flush-mode <mode>', 'remote flush of the host').choices(FLUSH_MODES))
    .addOption(new Option('--split-yield <when>', 'when the split drops mmu_lock between huge pages').choices(SPLIT_YIELDS))
    .option('--config-bug-on-data-corruption', 'the host kernel has CONFIG_BUG_ON_DATA_CORRUPTION=y: KVM_BUG_ON_DATA_CORRUPTION() (the mainline-2026 rmap_remove() miss) is a BUG() that ends the run')
    .addOption(new Option('--until <kind>', 'stop the run at the first violation of this kind (the earlier ones are reported and the run goes on past them)').choices(VIOLATION_KINDS))
    .option('--json', 'print JSON instead of text')
    .addOption(maxMemoryOption('scenario'));
}

export function buildProgram(setExit: (code: number) => void, mode: { json?: boolean } = {}): Command {
  const program = new Command('kvm-mmu-lab')
    .description('Run KVM x86 shadow-MMU eager-split scenarios under variants of the code, and check them.')
    .version('0.1.0')
    .showHelpAfterError('(run kvm-mmu-lab --help for usage)')
    // commander's own messages quote what was typed (`unknown option '...'`): escaped like the rest.
    // Under --json, main() prints commander's errors as the JSON error object (./exit.ts), alone.
    .configureOutput({ writeOut: (t) => process.stdout.write(terminalSafe(t)), writeErr: (t) => { if (!mode.json) process.stderr.write(terminalSafe(t)); } })
    .exitOverride()
    .addHelpText('after', [
      '',
      'Exit status: 0 pass, 1 a violation, 2 bad usage or bad input, 3 patch not understood or explore',
      'stopped at a cap, 4 internal error, 130 cancelled (Ctrl-C).',
      'With --json, an error is one JSON object on stdout, the same for every command:',
      '  {"error": {"code": "usage|scenario|scenario-run|variant|bound|patch|internal",',
      '             "message": "...", "file"?: "...", "line"?: N, "column"?: N}}',
    ].join('\n'));

  commonOptions(program.command('run').argument('<scenario>', 'a built-in scenario name or a scenario file'))
    .description('print the step-by-step trace (plain text fit for a mail reply)')
    .option('-o, --out <file>', 'write the trace to a file')
    .option('--full', 'print every step; by default runs of identical splits are folded')
    // --brief is text for a person: --json already carries every step, and --full is its opposite.
    .addOption(new Option('--brief', 'the trace for a mail reply: the verdict first, then only the steps that write an SPTE, change a TLB, flush or skip a flush, release mmu_lock or fail a check, like steps folded, at most 72 columns (docs/trace-brief.md)').conflicts(['json', 'full']))
    .action((arg: string, o: RunOpts & { full?: boolean; brief?: boolean }) => {
      const budget = memoryBudget(o.maxMemory, true);
      const s = loadScenario(arg);
      refuseScenarioOverBudget(arg, s, o.json ? 'json' : 'trace', budget);
      const t = withinBudget(arg, budget, () => runScenario(s, { ...runOptions(s, o), ...runLimits(budget) }));
      const inputs = BUILTIN_SCENARIOS.includes(arg) ? [] : [arg];
      if (o.json) emitJson({ ...toReport(t), trace: t.steps }, o.out, inputs);
      else emit(o.brief ? traceBrief(t) : traceText(t, !o.full), o.out, inputs);
      setExit(t.verdict === 'pass' ? EXIT_PASS : EXIT_VIOLATION);
    });

  commonOptions(program.command('check').argument('<scenario>', 'a built-in scenario name or a scenario file'))
    .description('run the checks and print the verdict')
    .action((arg: string, o: RunOpts) => {
      const budget = memoryBudget(o.maxMemory, true);
      const s = loadScenario(arg);
      refuseScenarioOverBudget(arg, s, 'check', budget);
      const t = withinBudget(arg, budget, () => runScenario(s, { ...runOptions(s, o), checks: { keepSteps: false }, ...runLimits(budget) }));
      const r = toReport(t);
      if (o.json) emitJson(r);
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
    .addOption(maxMemoryOption('scenario'))
    .action((arg: string, o: RunOpts & { fullScale?: boolean }) => {
      const budget = memoryBudget(o.maxMemory, true);
      const s = loadScenario(arg);
      // The presets run one after another, each dropping its state: one run's estimate is the peak.
      refuseScenarioOverBudget(arg, s, 'check', budget);
      const rows = withinBudget(arg, budget, () => compareVariants(s, o.flushMode, undefined, o.fullScale, runLimits(budget)));
      if (o.json) emitJson({ scenario: s.name, rows });
      else emit(`${s.name}: ${s.title}\n\n${compareText(rows)}`);
      setExit(rows.some((r) => r.verdict === 'violation') ? EXIT_VIOLATION : EXIT_PASS);
    });

  program.command('scenarios').description('list the built-in scenarios').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const list = BUILTIN_SCENARIOS.map((n) => ({ name: n, title: builtinScenario(n)!.title }));
      if (o.json) {
        emitJson(list);
        return;
      }
      // One column for the names, as wide as the longest (uaf-unexpected-role is 19).
      const width = Math.max(...list.map((x) => x.name.length));
      emit(list.map((x) => `${x.name.padEnd(width)}  ${x.title}`).join('\n') + '\n');
    });

  program.command('show').argument('<scenario>', 'a built-in scenario name').description('print a built-in scenario as a file to copy and edit')
    .action((name: string) => {
      const text = builtinScenarioText(name);
      if (!text) throw new UsageError(`no built-in scenario '${name}'; expected one of ${BUILTIN_SCENARIOS.join(', ')}`);
      emit(text, undefined, [], true);
    });

  program.command('variants').description('list the presets and the policies a variant is made of').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) { emitJson({ presets: PRESETS, policies: POLICY_VALUES }); return; }
      const lines = PRESETS.flatMap((p) => [`${p.name.padEnd(14)} [${p.era}] ${p.summary}`, `${''.padEnd(14)} code: ${p.eraNote}`]);
      lines.push('', 'eras (the kernel whose code and function names a preset follows; a composed variant keeps its base preset\'s):');
      for (const e of ERA_IDS) lines.push(`  ${e.padEnd(14)} ${ERAS[e].label}`);
      lines.push('', 'policies (compose as preset+policy=value,... or policy=value,...):');
      for (const [k, vals] of Object.entries(POLICY_VALUES)) lines.push(`  ${k.padEnd(15)} ${vals.join(' | ')}`);
      emit(lines.join('\n') + '\n');
    });
  registerPatchCommand(program, setExit);
  registerExplore(program, setExit);
  registerWhatIf(program, setExit);
  return program;
}

/**
 * Run one command line; resolves to the exit status. `onExit` hears the status as soon as a
 * command knows it (before its output has drained), so that the process can carry it even when a
 * closed pipe ends it early (./pipe.ts); tests that call main() in-process leave it out.
 */
export async function main(argv: string[], onExit?: (code: number) => void): Promise<number> {
  let code = EXIT_PASS;
  const json = wantsJson(argv);
  const program = buildProgram((c) => { code = c; onExit?.(c); }, { json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const f = failure(e);
    const asJson = json ? jsonError(e) : undefined;
    if (asJson) process.stdout.write(JSON.stringify(asJson, null, 2) + '\n');
    else process.stderr.write(terminalSafe(f.message));
    onExit?.(f.code);
    return f.code;
  }
}

if (require.main === module) {
  exitQuietlyOnClosedPipe();
  void main(process.argv.slice(2), (code) => { process.exitCode = code; });
}
