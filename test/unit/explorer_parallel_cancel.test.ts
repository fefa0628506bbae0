/**
 * Ctrl-C on `explore --workers 2`, as a user does it: the CLI bundled as it is shipped (its worker
 * threads start on its own file, which must be JavaScript), spawned with a bound far larger than
 * the time to its first progress line, and SIGINT sent when that line arrives (never on a timer:
 * on a loaded machine the first line may take seconds). For both parallel searches
 * (cli/parallel_explore.ts: the shared one, where the main thread is itself a searcher and must
 * see the signal between its slices of work, and the partitioned one):
 * - the exit status is 130 (128 + SIGINT), never a verdict's or a cap's (3);
 * - the result printed is the search's last counts, marked `stopped: cancelled`: at least the
 *   states of the progress line that was on the screen when the signal was sent (the counts only
 *   grow), and fewer than the bound's whole space (the search did not run on to its end or cap);
 * - the process exits: a worker thread left running would keep it alive, and the test's deadline
 *   would fail it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-cancel-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** The CLI bundled as scripts/lib/bundles.mjs bundles it (dist/ is left alone). */
async function bundledCli(): Promise<string> {
  const outfile = join(scratch, 'cli.js');
  if (!existsSync(outfile)) await build({ entryPoints: [join(root, 'cli', 'main.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'], logLevel: 'silent' });
  return outfile;
}

/**
 * v7 with every page at E = 4: tens of millions of states (issue 17's bound; the capped
 * benchmark's 6,283,808 states take seconds on two free cores), so the search is far from its end
 * when the first progress line comes (a level's end 0.2 s in, or the first thread's report). The
 * memory cap (512 MiB, some 4 M states: seconds of search even on two free cores, so the
 * signal lands well before it) bounds what a broken cancel costs: such a run ends at the cap,
 * with `stopped` naming the cap.
 */
const BOUND = ['--variant', 'v7', '--pages', 'all', '--max-memory', '512', '--progress-interval', '200', '--json'];

/** Deadline for the whole run, signal to exit included: generous, for a loaded 2-core machine. */
const DEADLINE_MS = 240_000;

interface Cancelled { code: number | null; signal: NodeJS.Signals | null; out: string; err: string; statesShown: number; msToExit: number }

/** Spawn the bundled CLI, send SIGINT at its first progress line, wait for it to exit. */
function cancelAtFirstProgress(cli: string, args: string[]): Promise<Cancelled> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'explore', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let statesShown = -1;
    let sentAt = 0;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit within ${DEADLINE_MS} ms (signal sent: ${sentAt > 0}); stderr:\n${err}`)); }, DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (sentAt > 0) return;
      // "explore v7: depth 9, 1,234,567 states, ..." (src/view/explore_progress.ts), whole lines only.
      const m = /^explore v7: depth \d+, ([\d,]+) states,.*\n/m.exec(err);
      if (!m) return;
      statesShown = Number(m[1].replace(/,/g, ''));
      sentAt = Date.now();
      child.kill('SIGINT');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, statesShown, msToExit: sentAt > 0 ? Date.now() - sentAt : -1 });
    });
  });
}

for (const parallel of ['shared', 'partitioned'] as const) {
  test(`Ctrl-C on --workers 2 --parallel ${parallel}: exit 130, the last counts printed as cancelled, the process gone`, { timeout: DEADLINE_MS + 60_000 }, async () => {
    const cli = await bundledCli();
    const r = await cancelAtFirstProgress(cli, [...BOUND, '--workers', '2', '--parallel', parallel]);
    assert.ok(r.statesShown > 0, `a progress line came before the end: ${r.err}`);
    // Exited by itself (not killed by a signal) with 128 + SIGINT's number.
    assert.equal(r.signal, null);
    assert.equal(r.code, 130, r.err);
    assert.match(r.err, /kvm-mmu-lab: explore cancelled \(SIGINT\)/);
    const j = JSON.parse(r.out) as { verdict: string; stopped?: string; states: number; transitions: number; depth: number };
    assert.equal(j.verdict, 'incomplete');
    // Cancelled, not stopped at the memory cap (which a search that ignored the signal reaches).
    assert.equal(j.stopped, 'cancelled');
    // The counts the threads last reported: no fewer than the line on the screen when the signal
    // was sent (they only grow), and fewer than the 512 MiB cap holds (some 4 M states at about
    // 110 bytes a state with the table: the cap was not reached, or `stopped` would name it).
    assert.ok(j.states >= r.statesShown, `${j.states} states printed, ${r.statesShown} shown before`);
    assert.ok(j.states < 8_000_000, `${j.states} states`);
  });
}
