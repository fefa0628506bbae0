/**
 * `npm run test:long`: the whole search of every preset at the CLI's default bound, once with each
 * engine (packed, core), compared. The unit tests compare the engines transition by transition on
 * small bounds and on the first states of larger ones; this is the one comparison of whole
 * searches at the bound users run, too slow for `npm test` (the core engine runs about 5,000
 * states a second, and a clean preset has about a million states here).
 *
 * Each search runs in a process of its own (this file with `--one PRESET ENGINE`), so that one
 * engine's heap and JIT do not weigh on the other's time. What must agree, and why:
 * - the verdict, and the depth (transitions to the first violation, or levels of a clean search):
 *   both are breadth-first over the same transitions (the packed model is held to the core's
 *   transitions by packed/abstraction.ts), so the shortest counterexample has the same length;
 * - on a violation, its kind and the length of the counterexample's action list;
 * - on a clean search, the states: the packed layout merges states that differ only in what no
 *   transition reads (split-cache counters, a stale sptep in a finished split frame), on top of the
 *   core's canonical identifications, so it has at most as many as the core; and the goals reached.
 *   (A search that stops at a violation stops at the first one of its level, and the two order a
 *   level differently, so its count is not compared.)
 * Prints a table and writes bench/results/differential.json (with --reduce por:
 * differential-por.json, both engines searching with the partial-order reduction, docs/explorer.md);
 * exits 1 on a disagreement.
 *   npx tsx bench/differential.ts [--presets v7,never-flush] [--jobs N] [--reduce por]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explore } from '../src/explore/search';
import { DEFAULT_BOUND, describeBound } from '../src/explore/scope';
import { findPreset, PRESET_NAMES } from '../src/kernel/variants';

interface Run {
  preset: string;
  engine: 'packed' | 'core';
  verdict: string;
  states: number;
  transitions: number;
  depth: number;
  actions: number | null;
  violation: string | null;
  reached: string[];
  cpuSeconds: number;
  wallSeconds: number;
}

function runOne(preset: string, engine: 'packed' | 'core', por: boolean): Run {
  const variant = findPreset(preset);
  if (!variant) throw new Error(`unknown preset ${preset}: expected one of ${PRESET_NAMES.join(', ')}`);
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const r = explore({ variant, bound: DEFAULT_BOUND, engine, ...(por ? { reduce: 'por' as const } : {}) });
  const cpu = process.cpuUsage(cpu0);
  return {
    preset, engine, verdict: r.verdict, states: r.states, transitions: r.transitions, depth: r.depth,
    actions: r.actions ? r.actions.length : null, violation: r.violation ? r.violation.kind : null,
    reached: (r.reached ?? []).filter((g) => g.reached).map((g) => g.goal),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    wallSeconds: Math.round(Number(process.hrtime.bigint() - wall0) / 1e7) / 100,
  };
}

/** Run one search in a child process (this file, `--one`), under the same loader as this one. */
function inChild(preset: string, engine: 'packed' | 'core', por: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--max-old-space-size=8192', process.argv[1], '--one', preset, engine, ...(por ? ['por'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) reject(new Error(`${preset} ${engine}: the child exited with ${code ?? signal}`));
      else {
        const run = JSON.parse(out.trim().split('\n').pop()!) as Run;
        process.stderr.write(`${preset} ${engine}: ${run.verdict}, ${run.states} states, ${run.cpuSeconds} CPU-s\n`);
        resolve(run);
      }
    });
  });
}

/** Run `tasks` with at most `jobs` at a time; their results in order. */
async function pool<T>(tasks: Array<() => Promise<T>>, jobs: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const i = next++; out[i] = await tasks[i](); } };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return out;
}

/** What disagrees between the two engines' runs of one preset (the file comment says why each must agree). */
function disagreements(p: Run, c: Run): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => { if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: packed ${JSON.stringify(a)}, core ${JSON.stringify(b)}`); };
  same('verdict', p.verdict, c.verdict);
  same('depth', p.depth, c.depth);
  if (p.verdict === 'violation' || c.verdict === 'violation') {
    same('violation kind', p.violation, c.violation);
    same('counterexample length', p.actions, c.actions);
  } else {
    if (p.states > c.states) out.push(`states: packed ${p.states} > core ${c.states}`);
    same('goals reached', p.reached, c.reached);
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--one') {
    process.stdout.write(JSON.stringify(runOne(args[1], args[2] as 'packed' | 'core', args[3] === 'por')) + '\n');
    return;
  }
  const option = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const presets = option('--presets')?.split(',') ?? [...PRESET_NAMES];
  // Searches at once (each a process): 1 gives the cleanest times; the counts do not depend on it.
  const jobs = Number(option('--jobs') ?? 1);
  const reduce = option('--reduce');
  if (reduce !== undefined && reduce !== 'por') throw new Error(`--reduce: only por runs on both engines, got ${reduce}`);
  const por = reduce === 'por';
  process.stderr.write(`whole searches at the default bound: ${describeBound(DEFAULT_BOUND)}\n`);
  const runs = await pool(presets.flatMap((preset) => [() => inChild(preset, 'packed', por), () => inChild(preset, 'core', por)]), jobs);
  const rows = presets.map((_, k) => {
    const packed = runs[2 * k];
    const core = runs[2 * k + 1];
    return { packed, core, problems: disagreements(packed, core) };
  });
  const lines = [
    '| preset | verdict | depth | packed states | core states | packed CPU-s (wall s) | core CPU-s (wall s) | agree |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(({ packed: p, core: c, problems }) =>
      `| ${p.preset} | ${p.verdict === c.verdict ? p.verdict : `${p.verdict} / ${c.verdict}`}${p.violation ? ` (${p.violation}, ${p.actions} transitions)` : ''} | ${p.depth === c.depth ? p.depth : `${p.depth} / ${c.depth}`} | ` +
      `${p.states.toLocaleString('en')} | ${c.states.toLocaleString('en')} | ${p.cpuSeconds} (${p.wallSeconds}) | ${c.cpuSeconds} (${c.wallSeconds}) | ${problems.length ? problems.join('; ') : 'yes'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, por ? 'differential-por.json' : 'differential.json'), JSON.stringify({ date: new Date().toISOString(), bound: DEFAULT_BOUND, ...(por ? { reduce: 'por' } : {}), rows }, null, 2) + '\n');
  const bad = rows.filter((r) => r.problems.length);
  if (bad.length) {
    process.stderr.write(`the engines disagree on ${bad.map((r) => r.packed.preset).join(', ')}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${rows.length} presets: the engines agree\n`);
  }
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`); process.exitCode = 1; });
