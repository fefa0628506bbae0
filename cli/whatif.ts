/**
 * `kvm-mmu-lab whatif SCENARIO --at N [--choose K [--save FILE] [--trace]]`: the events that could
 * come after step N of the scenario's walk (src/run/whatif.ts), and the run of the branch that
 * takes choice K. docs/what-if.md has what is offered and why.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BUILTIN_SCENARIOS, builtinScenarioText } from '../src/scenario/builtins';
import { MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import { parseVariant, PRESETS } from '../src/kernel/variants';
import { FLUSH_MODES } from '../src/review/checks';
import { runScenario } from '../src/run/run';
import { traceText } from '../src/view/trace_text';
import { terminalSafe } from '../src/view/terminal_text';
import { whatIfBranch, whatIfChoices, WhatIfError, whatIfSource, type WhatIfPoint, type WhatIfSource } from '../src/run/whatif';
import type { RunOptions } from '../src/run/runner';
import { EXIT_PASS, EXIT_VIOLATION, UsageError } from './exit';
import { maxMemoryOption, memoryBudget, refuseScenarioOverBudget, runLimits, withinBudget } from './budget';
import { readInputFile, statInput, writeOutputFile } from './files';

interface WhatIfOpts {
  at: number;
  choose?: number;
  save?: string;
  trace?: boolean;
  variant?: string;
  flushMode?: 'bare-metal' | 'range';
  maxMemory?: string;
}

/** A whole number, 0 or more (commander's parser: the message is the user's). */
function count(what: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected ${what}, a whole number 0 or more; got '${v}'`);
    return Number(v);
  };
}

function sourceOf(arg: string): WhatIfSource {
  const builtin = builtinScenarioText(arg);
  if (builtin !== undefined) return whatIfSource(builtin, `builtin:${arg}`);
  if (!statInput(arg, `a scenario file (JSON) or one of the built-in scenarios: ${BUILTIN_SCENARIOS.join(', ')}`)) {
    throw new UsageError(`no built-in scenario or file named '${arg}'; built-in scenarios: ${BUILTIN_SCENARIOS.join(', ')}`, { file: arg });
  }
  return whatIfSource(readInputFile(arg, 'a scenario file (JSON)', MAX_SCENARIO_BYTES).toString('utf8'), arg);
}

/** The core's WhatIfError is the user's mistake: the CLI's usage error (exit 2). */
function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof WhatIfError) throw new UsageError(e.message);
    throw e;
  }
}

export function choicesText(name: string, p: WhatIfPoint): string {
  const lines = [`after step ${p.at} of ${name} (${p.step.opLabel}: ${p.step.kind}):`];
  if (p.onlyContinue) lines.push(`  only the same operation can continue here: ${p.onlyContinue}`);
  const width = String(p.choices.length).length;
  for (const c of p.choices) {
    lines.push(`  ${String(c.number).padStart(width)}. ${c.label}${c.disabled ? '  [not possible]' : ''}`);
    if (c.disabled) lines.push(`  ${''.padStart(width)}    ${c.disabled}`);
  }
  return lines.join('\n') + '\n';
}

export function registerWhatIf(program: Command, setExit: (code: number) => void): void {
  program.command('whatif').argument('<scenario>', 'a built-in scenario name or a scenario file')
    .description('the events that could come after a step of the walk; --choose one to run the branch and --save it as a scenario file (docs/what-if.md)')
    .requiredOption('--at <step>', 'the step of the walk (as the trace numbers it, from 0)', count('a step number'))
    .option('--choose <n>', 'run the branch that takes choice n (as --at lists them, from 1)', count('a choice number'))
    .option('--save <file>', 'with --choose: write the branched scenario to this file (*.scenario.json)')
    .option('--trace', 'with --choose: print the branch\'s trace, not only its verdict')
    .option('-v, --variant <variant>', `a preset (${PRESETS.map((p) => p.name).join(', ')}), or preset+policy=value,...`)
    .addOption(new Option('--flush-mode <mode>', 'remote flush of the host').choices(FLUSH_MODES))
    .addOption(maxMemoryOption('scenario'))
    .action((arg: string, o: WhatIfOpts) => {
      if ((o.save || o.trace) && o.choose === undefined) throw new UsageError('--save and --trace need --choose: which choice to branch on');
      const budget = memoryBudget(o.maxMemory, true);
      const src = sourceOf(arg);
      // Refused before any state is built when one run would not fit; what-if holds the walk's run, the cut's and one candidate's at once, and the runner's checks (runLimits) stop it at the budget.
      refuseScenarioOverBudget(arg, src.scenario, 'trace', budget);
      const options: RunOptions = { variant: parseVariant(o.variant ?? src.scenario.variant), ...(o.flushMode ? { flushMode: o.flushMode } : {}), ...runLimits(budget) };
      if (o.choose === undefined) {
        const p = withinBudget(arg, budget, () => asUsage(() => whatIfChoices(src, options, o.at)));
        process.stdout.write(terminalSafe(choicesText(src.scenario.name, p)));
        setExit(EXIT_PASS);
        return;
      }
      const choose = o.choose;
      const b = withinBudget(arg, budget, () => asUsage(() => whatIfBranch(src, options, o.at, choose)));
      if (o.save) writeOutputFile(o.save, b.text, BUILTIN_SCENARIOS.includes(arg) ? [] : [arg]);
      const t = withinBudget(arg, budget, () => runScenario(b.scenario, options));
      const head = `${b.scenario.name}: ${t.verdict.toUpperCase()} in ${t.steps.length} steps${o.save ? ` (saved to ${o.save})` : ''}\n`;
      const vs = t.violations.map((v) => `  step ${v.step}: ${v.kind}${v.strength ? ` (${v.strength})` : ''}: ${v.message}\n`).join('');
      process.stdout.write(terminalSafe(o.trace ? `${head}\n${traceText(t, true)}` : head + vs));
      setExit(t.verdict === 'pass' ? EXIT_PASS : EXIT_VIOLATION);
    });
}
