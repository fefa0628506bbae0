// The work on a workspace's input as jobs (src/session/input_jobs.ts), which the extension runs in
// its worker instead of on the host's thread: what a worker posts for each kind, that bad input is
// a refusal with the parser's or the runner's message (not a failed job), and that the host's side
// of a worker and the in-thread fallback give the same outcome.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinScenario } from '../../src/scenario/builtins';
import { parseVariant } from '../../src/kernel/variants';
import { inThreadJobs, runInWorker, runJob, type JobWorker, type WorkerMessage } from '../../src/session/jobs';
import type { InputJob } from '../../src/session/input_jobs';

const MiB = 2 ** 20;
const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };

function posts(job: InputJob): WorkerMessage[] {
  const out: WorkerMessage[] = [];
  runJob({ ...job, maxMemoryBytes: 256 * MiB }, (m) => out.push(m));
  return out;
}

test('a scenario job says it started, then refuses a bad file with file:line:column (not a failed job)', () => {
  const out = posts({ kind: 'scenario', text: '{\n  "roots": [,]\n}\n', file: 'ws/bad.scenario.json', entries: null });
  // First the start (so that a worker dying later is not taken for one that never started), then the refusal.
  assert.deepEqual(out[0], { type: 'progress', done: 0 });
  assert.equal(out.length, 2);
  assert.equal(out[1].type, 'refused');
  assert.match((out[1] as { reason: string }).reason, /^ws\/bad\.scenario\.json:2:\d+: /);
});

test('a scenario job parses a good file, with kvmMmuLab.entriesPerTable applied when the file sets no entries', () => {
  // A scenario written for 4-entry tables (the fixture says so), its `entries` taken out: the setting's 4 makes it whole again.
  const source = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'reused-partial-e4.scenario.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(source.entries, 4);
  delete source.entries;
  const out = posts({ kind: 'scenario', text: JSON.stringify(source), file: 'ws/a.scenario.json', entries: 4 });
  const last = out[out.length - 1] as { type: string; value: { entries: number } };
  assert.equal(last.type, 'result');
  assert.equal(last.value.entries, 4);
});

test("a walk job runs the walk under a step cap: past it, a refusal naming the cap; within it, the walk's steps", () => {
  const scenario = builtinScenario('reused-partial')!;
  const options = { variant: parseVariant('never-flush') };
  // reused-partial under never-flush: tests/golden has its 58 steps; 10 is well short of them.
  const capped = posts({ kind: 'walk', scenario, options, maxSteps: 10 });
  assert.equal(capped[capped.length - 1].type, 'refused');
  assert.match((capped[capped.length - 1] as { reason: string }).reason, /more than 10 steps; stopping/);
  const whole = posts({ kind: 'walk', scenario, options });
  const last = whole[whole.length - 1] as { type: string; value: { steps: number; violations: number } };
  assert.equal(last.type, 'result');
  assert.ok(last.value.steps > 10 && last.value.violations > 0, JSON.stringify(last.value));
});

test('a review job posts the review of the patch (what Check Patch… shows)', () => {
  const text = ['diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c', '--- a/arch/x86/kvm/mmu/mmu.c', '+++ b/arch/x86/kvm/mmu/mmu.c', '@@ -1,3 +1,3 @@', ' a', '-b', '+c', ' d', ''].join('\n');
  const out = posts({ kind: 'review', text, name: 'x.patch', tree: [] });
  const last = out[out.length - 1] as { type: string; value: { name: string } };
  assert.equal(last.type, 'result');
  assert.equal(last.value.name, 'x.patch');
});

test("the host's side of a worker turns a worker's refusal into a refused outcome; the in-thread fallback gives the same", async () => {
  let listener: (m: unknown) => void = () => {};
  const worker: JobWorker = { onMessage: (l) => (listener = l), onFailure: () => {}, terminate: () => {} };
  const job = { kind: 'scenario' as const, text: 'x', file: 'f', entries: null, maxMemoryBytes: MiB };
  const pending = runInWorker(() => worker, job, () => {}, never);
  await new Promise((resolve) => setTimeout(resolve, 0));
  listener({ type: 'progress', done: 0 });
  listener({ type: 'refused', reason: 'f:1:1: invalid JSON' });
  assert.deepEqual(await pending, { kind: 'refused', reason: 'f:1:1: invalid JSON' });
  const inThread = await inThreadJobs.input({ kind: 'scenario', text: 'x', file: 'f', entries: null }, { maxMemoryBytes: MiB }, never);
  assert.equal(inThread.kind, 'refused');
  assert.match((inThread as { reason: string }).reason, /^f:1:1: /);
});

test('a walk job checks its memory as often as the walk copies its state: a 16 GiB memslot stops at the cap at once', () => {
  // 2^22 pages of 4 KiB = 16 GiB in one memslot backed by 1 GiB pages: a scenario of a few hundred
  // bytes. Its state's per-page arrays alone are tens of MiB (stateBytes), so a 16 MiB cap is past
  // at the first check, at step 16; with the runner's default (every 4096 steps) the 2,605-step walk
  // was never checked, and its copies held 3.6 GB (measured: docs/reliability.md).
  const pages = 2 ** 22;
  const text = JSON.stringify({
    name: 'big', memslots: [{ id: 0, baseGfn: 0, pages, hostPfn: 0, hostPageSize: '1G' }],
    roots: [{ name: 'A', guestTableGfn: '0x40000000', mappings: [{ l2: 0, gfn: 0, size: '1G' }] }], vcpus: 1,
    operations: [{ op: 'access', vcpu: 0, root: 'A', addr: 5, kind: 'write' }, { op: 'enable-dirty-logging', manualProtect: false, initiallySet: true }],
  });
  const parsed: WorkerMessage[] = [];
  runJob({ kind: 'scenario', text, file: 'big.scenario.json', entries: null, maxMemoryBytes: 256 * MiB }, (m) => parsed.push(m));
  const scenario = (parsed[parsed.length - 1] as { value: import('../../src/scenario/types').Scenario }).value;
  const out: WorkerMessage[] = [];
  runJob({ kind: 'walk', scenario, options: { variant: parseVariant('v7') }, maxMemoryBytes: 16 * MiB }, (m) => out.push(m));
  const last = out[out.length - 1];
  assert.equal(last.type, 'stopped', JSON.stringify(last).slice(0, 200));
  assert.match((last as { reason: string }).reason, /^stopped at the memory cap: .* the cap is 16 MiB$/);
});

test('a compare job refuses a scenario whose state alone is over the cap, before the presets run', () => {
  const pages = 2 ** 22;
  const text = JSON.stringify({
    name: 'big', memslots: [{ id: 0, baseGfn: 0, pages, hostPfn: 0, hostPageSize: '1G' }],
    roots: [{ name: 'A', guestTableGfn: '0x40000000', mappings: [{ l2: 0, gfn: 0, size: '1G' }] }], vcpus: 1,
    operations: [{ op: 'access', vcpu: 0, root: 'A', addr: 5, kind: 'write' }],
  });
  const parsed: WorkerMessage[] = [];
  runJob({ kind: 'scenario', text, file: 'big.scenario.json', entries: null, maxMemoryBytes: 256 * MiB }, (m) => parsed.push(m));
  const scenario = (parsed[parsed.length - 1] as { value: import('../../src/scenario/types').Scenario }).value;
  const out: WorkerMessage[] = [];
  runJob({ kind: 'compare', scenario, flushMode: undefined, maxMemoryBytes: 16 * MiB }, (m) => out.push(m));
  assert.equal(out[out.length - 1].type, 'stopped', JSON.stringify(out[out.length - 1]).slice(0, 200));
  // The same scenario within a cap it fits: the table's eight rows.
  const fits: WorkerMessage[] = [];
  runJob({ kind: 'compare', scenario, flushMode: undefined, maxMemoryBytes: 1024 * MiB }, (m) => fits.push(m));
  const last = fits[fits.length - 1] as { type: string; value: unknown[] };
  assert.equal(last.type, 'result');
  assert.equal(last.value.length, 8);
});
