// @no-coverage: whole searches through every entry point; V8's coverage counters about double such a file's CPU (docs/testing.md, "What the unit stage costs").
/**
 * The guest-tables scope's default engine is its packed engine (src/explore/packed_gt/; since
 * 2026-12-07, docs/explorer.md "Which engine"), everywhere the explorer picks one: the library's
 * Search, the CLI (one variant and --variant all, text and --json) and the workbench's Explore
 * Variant… (its Explore view row, its job). `--engine core` still runs the core. What the packed
 * engine does not take (--audit and --until, which need every transition run by the core, and a
 * menu action its model lacks: none today, covers.ts) makes the explorer take the core and say why
 * (ExploreResult.engineFallback, "core engine (packed does not take --audit)"), not refuse, unless
 * the packed engine was named.
 *
 * The equality of the default (packed) with --engine core over every preset at the default bound is
 * in explorer_packed_gt_search.test.ts ("whole searches of the whole menu agree with the core"),
 * which runs the CLI's default `--variant all` beside its core searches so that the core's costly
 * clean search is run once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineChoice, engineOf, Search } from '../../src/explore/search';
import type { ExploreResult } from '../../src/explore/result';
import { GUEST_TABLES_BOUND, DEFAULT_BOUND, type Bound } from '../../src/explore/scope';
import { ACTIONS_COVERED, FRAMES_COVERED } from '../../src/explore/packed_gt/covers';
import { K_DELETE } from '../../src/explore/packed_gt/layout';
import { findPreset } from '../../src/kernel/variants';
import { inThreadJobs, runJob, type WorkerMessage } from '../../src/session/jobs';

const root = join(__dirname, '..', '..');
const CLI = ['--import', 'tsx', join(root, 'cli', 'main.ts')];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', cwd: root, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const gt = (...args: string[]) => cli('explore', '--quiet', '--scope', 'guest-tables', ...args);

function runToEnd(s: Search): ExploreResult {
  while (!s.run(10_000));
  return s.result();
}

test('the library: a guest-tables search with no engine named runs packed, with nothing to explain; --engine core the core', () => {
  // The unfixed preset at the default bound: the 3-transition hole (explorer_guest_tables.test.ts
  // has why 3), found by either engine; only the engine differs.
  const variant = findPreset('mainline-2026-pre')!;
  assert.deepEqual(engineChoice({ bound: GUEST_TABLES_BOUND }), { engine: 'packed' });
  const packed = runToEnd(new Search({ variant, bound: GUEST_TABLES_BOUND }));
  const core = runToEnd(new Search({ variant, bound: GUEST_TABLES_BOUND, engine: 'core' }));
  assert.equal(packed.engine, 'packed');
  assert.equal(core.engine, 'core');
  assert.equal(packed.engineFallback, undefined, 'the default needs no reason');
  assert.equal(core.engineFallback, undefined, 'the core was asked for by name: no fallback to explain');
  assert.deepEqual([packed.verdict, packed.depth, packed.actions], [core.verdict, core.depth, core.actions]);
});

test('the library: --audit and --until take the core and say why; a menu the packed model lacked would too, unless packed was named', () => {
  const variant = findPreset('mainline-2026-pre')!;
  const bound: Bound = { ...GUEST_TABLES_BOUND, ops: 3 };
  // The audit runs the whole-structure audit on the core's state after every transition: the packed words have none.
  const audited = runToEnd(new Search({ variant, bound, audit: true }));
  assert.deepEqual([audited.engine, audited.engineFallback], ['core', 'packed does not take --audit']);
  // --until searches on past other violations: the core search's (CoreSearch) filter.
  const until = runToEnd(new Search({ variant, bound, until: 'rmap-disagreement' }));
  assert.deepEqual([until.engine, until.engineFallback], ['core', 'packed does not take --until']);
  // Either engine named: as asked (the core), or refused (packed with --until: internal, the CLI says it as usage).
  assert.deepEqual(engineChoice({ bound, engine: 'core', audit: true }), { engine: 'core' });
  assert.throws(() => new Search({ variant, bound, engine: 'packed', until: 'rmap-disagreement' }), /--until runs on the core engine only/);
  // The split scope takes the same rule.
  assert.deepEqual(engineChoice({ bound: DEFAULT_BOUND, audit: true }), { engine: 'core', fallback: 'packed does not take --audit' });
  // A covers table without the deletion (as before stage 3e): unasked, the core searches the
  // default menu and names what packed lacks; asked by name, the packed search refuses it.
  const table = ACTIONS_COVERED as Record<string, boolean>;
  const frames = FRAMES_COVERED as Record<number, boolean>;
  table['delete-memslot'] = false;
  frames[K_DELETE] = false;
  try {
    const lacking = engineChoice({ bound });
    assert.deepEqual(lacking, { engine: 'core', fallback: 'packed lacks memslot deletion, the steps and resumes of a memslot deletion' });
    assert.equal(engineOf({ bound }), 'core', 'the Explore view names the engine that will run');
    const r = runToEnd(new Search({ variant, bound }));
    assert.deepEqual([r.engine, r.engineFallback, r.verdict, r.depth], ['core', lacking.fallback, 'violation', 3]);
    assert.throws(() => new Search({ variant, bound, engine: 'packed' }), /lacks memslot deletion/);
    // Without the deletion in the menu, nothing is lacking: packed.
    assert.deepEqual(engineChoice({ bound: { ...bound, kinds: ['invalidate'] } }), { engine: 'packed' });
  } finally {
    table['delete-memslot'] = true;
    frames[K_DELETE] = true;
  }
});

test('the CLI: the default is packed (text, --json and the --variant all table); --engine core the core', () => {
  const text = gt('--variant', 'mainline-2026-pre');
  assert.equal(text.code, 1, text.err);
  assert.match(text.out, /, packed engine\n/);
  assert.match(text.out, /the core replayed the counterexample and reported the same violation at the same transition/);
  const json = JSON.parse(gt('--variant', 'mainline-2026-pre', '--json').out) as ExploreResult;
  assert.equal(json.engine, 'packed');
  assert.ok(!('engineFallback' in json));
  const core = gt('--variant', 'mainline-2026-pre', '--engine', 'core');
  assert.match(core.out, /, core engine\n/);
  // The table has no engine column: the line under the bound names it for every row.
  const table = gt('--variant', 'all', '--ops', '2');
  assert.ok(table.code === 0 || table.code === 1, table.err);
  assert.match(table.out, /^bound: .*\nengine: packed\n\n/);
});

test('the CLI: --audit and --until without --engine run the core and say so, in the text and in --json (each --variant all row too); --engine packed --until is refused', () => {
  const audit = gt('--variant', 'mainline-2026-pre', '--ops', '3', '--audit');
  assert.equal(audit.code, 1, audit.err);
  assert.match(audit.out, /, core engine \(packed does not take --audit\)\n/);
  const until = JSON.parse(gt('--variant', 'mainline-2026-pre', '--ops', '3', '--until', 'rmap-disagreement', '--json').out) as ExploreResult;
  assert.deepEqual([until.engine, until.engineFallback], ['core', 'packed does not take --until']);
  // --variant all: each worker's request carries the engine as asked (none), so each row says why.
  const rows = JSON.parse(gt('--variant', 'all', '--ops', '2', '--audit', '--json').out) as ExploreResult[];
  assert.equal(rows.length, 8);
  for (const r of rows) assert.deepEqual([r.variant, r.engine, r.engineFallback], [r.variant, 'core', 'packed does not take --audit']);
  const refused = gt('--variant', 'mainline-2026-pre', '--engine', 'packed', '--until', 'rmap-disagreement');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /--until runs on the core engine only; leave out --engine or use --engine core/);
});

test('the CLI: the default\'s counterexample file (--out) is --engine core\'s byte for byte, and run replays both to the same plain-text trace', () => {
  // Both engines' shortest counterexample for the unfixed preset is access, write, access
  // (explorer_guest_tables.test.ts); the packed one is rebuilt as the core's actions (packed_gt/search.ts
  // coreActions()) and written by the same counterexampleScenario(), so the files are the same.
  const dir = mkdtempSync(join(tmpdir(), 'gt-default-'));
  const files = { packed: join(dir, 'packed.json'), core: join(dir, 'core.json') };
  assert.equal(gt('--variant', 'mainline-2026-pre', '--out', files.packed).code, 1);
  assert.equal(gt('--variant', 'mainline-2026-pre', '--engine', 'core', '--out', files.core).code, 1);
  assert.equal(readFileSync(files.packed, 'utf8'), readFileSync(files.core, 'utf8'));
  const trace = { packed: cli('run', files.packed), core: cli('run', files.core) };
  assert.equal(trace.packed.code, 1, trace.packed.err);
  assert.match(trace.packed.out, /rmap-disagreement/);
  assert.equal(trace.packed.out.replaceAll(files.packed, 'FILE'), trace.core.out.replaceAll(files.core, 'FILE'));
});

test('the CLI: Ctrl-C on the default (packed) guest-tables search stops it between slices: the counts so far, "cancelled", exit 130', async () => {
  // A bound no machine searches in a second (every kind of write, stopped faults, 6 operations), so
  // the first progress line (a second in) comes while it runs.
  const child = spawn(process.execPath, [...CLI, 'explore', '--scope', 'guest-tables', '--variant', 'mainline-2026', '--ops', '6', '--accesses', '3', '--writes', 'both', '--fault-window', '--json'], { cwd: root });
  let out = '';
  let err = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (!sent && /^explore mainline-2026: /m.test(err)) { sent = true; child.kill('SIGINT'); }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.ok(sent, `a progress line came: ${err.slice(-300)}`);
  assert.equal(code, 130, err.slice(-500));
  assert.match(err, /explore cancelled \(SIGINT\)/);
  const r = JSON.parse(out) as ExploreResult;
  assert.deepEqual([r.engine, r.verdict, r.stopped], ['packed', 'incomplete', 'cancelled']);
  assert.ok(r.states > 0, 'what was searched so far is reported');
});

test('the workbench\'s job (its worker and the in-thread fallback) searches a guest-tables bound on the packed engine', async () => {
  // The job passes no engine: Search's default, now packed for this scope too.
  const posted: WorkerMessage[] = [];
  runJob({ kind: 'explore', variant: 'mainline-2026-pre', bound: GUEST_TABLES_BOUND, maxMemoryBytes: 256 * 2 ** 20 }, (m) => posted.push(m));
  const last = posted[posted.length - 1];
  assert.equal(last.type, 'result');
  const job = (last as { value: { result: ExploreResult; scenario?: unknown } }).value;
  assert.deepEqual([job.result.engine, job.result.verdict, job.result.depth], ['packed', 'violation', 3]);
  assert.ok(job.scenario, 'the counterexample as a scenario file, as with the core');
  const inThread = await inThreadJobs.explore('mainline-2026-pre', GUEST_TABLES_BOUND, { maxMemoryBytes: 256 * 2 ** 20 }, () => {}, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) });
  assert.deepEqual([inThread.result.engine, inThread.result.actions], ['packed', job.result.actions]);
  assert.deepEqual(inThread.scenario, job.scenario);
});
