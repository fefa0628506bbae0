/**
 * Fuzzing the inputs the core reads: scenario files (random text, random JSON, and mutations of
 * the real built-ins) and command lines. Whatever arrives, the parser returns a scenario or throws
 * a ScenarioError with file:line:column; the runner on a parsed scenario finishes or throws a
 * ScenarioRunError; the CLI exits 0, 1 or 2 and never prints a stack trace. The counts are in
 * docs/reliability.md; FUZZ_RUNS raises them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScenario, ScenarioError } from '../../src/scenario/parse';
import { ScenarioRunError } from '../../src/run/runner';
import { BUILTIN_SCENARIOS, builtinScenarioText } from '../../src/scenario/builtins';
import { runScenario } from '../../src/run/run';
import { findPreset } from '../../src/kernel/variants';
import { main } from '../../cli/main';
import { edgeNumber, fuzzFor, LINE_ENDS, nesting, reformat, withValueAt } from './fuzz_generators';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 5190);

/** Parse, and run what parses (at its own size, with a step bound): only our errors may escape. */
function feed(text: string): 'parsed' | 'refused' | 'ran' | 'run-refused' {
  let s;
  try {
    s = parseScenario(text, 'fuzz.json');
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw new Error(`parser threw ${(e as Error).name}: ${(e as Error).message}\ninput: ${JSON.stringify(text.slice(0, 300))}`);
    assert.match(e.message, /^fuzz\.json:\d+:\d+: /);
    return 'refused';
  }
  if (s.memslots.some((m) => m.npages > 2 ** 22)) return 'parsed'; // no point running 16 GiB of random memslot
  try {
    runScenario(s, { variant: findPreset('v7')!, maxSteps: 20_000, checks: { keepSteps: false } });
    return 'ran';
  } catch (e) {
    if (e instanceof ScenarioRunError) return 'run-refused';
    throw new Error(`runner threw ${(e as Error).name}: ${(e as Error).message}\ninput: ${text.slice(0, 2000)}`);
  }
}

test('random text never crashes the scenario parser', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (t) => { feed(t); }), { numRuns: RUNS, seed: SEED });
});

test('random JSON values never crash the parser or the runner', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => { feed(JSON.stringify(v)); }), { numRuns: RUNS, seed: SEED });
});

/** A built-in scenario with one value somewhere replaced by something random. */
const mutated = fc.record({
  name: fc.constantFrom(...BUILTIN_SCENARIOS),
  pick: fc.nat(),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: -5, max: 2 ** 40 }), fc.constantFrom('0x40000', '0x0', '-1', '1G', 'unlock', 'A', 'B', 'C')),
}).map(({ name, pick, value }) => {
  const doc = JSON.parse(builtinScenarioText(name)!);
  const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach((v, i) => { slots.push([x, i]); walk(v); });
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) { if (k !== 'description' && k !== 'title') slots.push([x as Record<string, unknown>, k]); walk(v); }
  };
  walk(doc);
  const [obj, key] = slots[pick % slots.length];
  (obj as Record<string | number, unknown>)[key] = value;
  return JSON.stringify(doc, null, 2);
});

test('mutated built-in scenarios are refused with a line, or run to the end', () => {
  const seen = { parsed: 0, refused: 0, ran: 0, 'run-refused': 0 };
  fc.assert(fc.property(mutated, (t) => { seen[feed(t)]++; }), { numRuns: RUNS, seed: SEED });
  assert.ok(seen.refused > 0 && seen.ran > 0, `the mutations should both break and keep scenarios: ${JSON.stringify(seen)}`);
});

test('truncated and byte-flipped scenario files never crash the parser', () => {
  const text = builtinScenarioText('reused-partial')!;
  fc.assert(fc.property(fc.nat({ max: text.length }), fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 0xffff }), (cut, at, ch) => {
    feed(text.slice(0, cut));
    feed(text.slice(0, at) + String.fromCharCode(ch) + text.slice(at + 1));
  }), { numRuns: RUNS, seed: SEED });
});

test('pathological scenario text: deep nesting, a huge string, many operations', () => {
  assert.equal(feed('['.repeat(200_000)), 'refused');
  assert.equal(feed('{"a":'.repeat(100_000)), 'refused');
  assert.equal(feed(JSON.stringify({ name: 'x'.repeat(3_000_000) })), 'refused');
  const many = JSON.parse(builtinScenarioText('reused-leaf')!);
  many.operations = Array.from({ length: 5000 }, (_, i) => ({ op: 'access', vcpu: i % 2, root: 'A', addr: i % 512, kind: 'read' }));
  assert.equal(feed(JSON.stringify(many)), 'ran');
});

test('random command lines exit 0, 1 or 2, never with an internal error', async () => {
  const words = ['run', 'check', 'compare', 'show', 'scenarios', 'variants', 'reused-partial', 'common-1g', 'nope', '--variant', 'v7', 'never-flush',
    'v7+splitFlush=never', 'splitFlush=x', '--json', '--flush-mode', 'range', 'sideways', '--split-yield', 'every', '-o', '--full', '--help', '-v', '', '--', '/nonexistent'];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let printed = '';
  try {
    // The CLI prints; keep it off the test report and look at it instead.
    process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => { printed += s; return true; }) as typeof process.stderr.write;
    await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...words), { maxLength: 5 }), async (argv) => {
      if (argv.includes('common-1g') && (argv.includes('run') || argv.includes('compare'))) return; // slow, and covered elsewhere
      printed = '';
      const code = await main(argv);
      if (![0, 1, 2].includes(code)) throw new Error(`exit ${code} for ${JSON.stringify(argv)}: ${printed.slice(0, 500)}`);
      if (/\n\s+at .*\(.*:\d+:\d+\)/.test(printed)) throw new Error(`stack trace for ${JSON.stringify(argv)}`);
    }), { numRuns: Math.ceil(RUNS / 3), seed: SEED });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
});

// ---- structure-aware: the places issue 19's hostile inputs hit (test/unit/fuzz_generators.ts) ----

const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 8000);

test('numbers at 2^31, 2^32, 2^40, 2^53 and around them, in every field of every built-in scenario', () => {
  const docs = BUILTIN_SCENARIOS.map((n) => JSON.parse(builtinScenarioText(n)!));
  const arb = fc.record({ doc: fc.nat(docs.length - 1), pick: fc.nat(), value: edgeNumber, eol: fc.constantFrom(...LINE_ENDS), comments: fc.boolean() });
  const seen = { parsed: 0, refused: 0, ran: 0, 'run-refused': 0 };
  const tried = fuzzFor(arb, ({ doc, pick, value, eol, comments }) => { seen[feed(reformat(withValueAt(docs[doc], pick, value), eol, comments))]++; },
    { seed: SEED, runs: RUNS * 3, budgetMs: BUDGET_MS, label: () => `edge numbers ${JSON.stringify(seen)}` });
  assert.ok(tried > 0 && seen.refused > 0);
});

test('counts that claim more than is there: a clear or an invalidation past its memslot, except lists past the range', () => {
  const base = JSON.parse(builtinScenarioText('reused-leaf')!);
  const arb = fc.record({ first: edgeNumber, pages: edgeNumber, except: fc.array(edgeNumber, { maxLength: 4 }), which: fc.boolean() });
  const tried = fuzzFor(arb, ({ first, pages, except, which }) => {
    const doc = structuredClone(base);
    doc.operations.splice(4, 0, which ? { op: 'clear-dirty-log', slot: 0, first, pages, except } : { op: 'invalidate', gfn: first, pages });
    feed(JSON.stringify(doc));
  }, { seed: SEED, runs: RUNS * 3, budgetMs: BUDGET_MS, label: 'claimed counts' });
  assert.ok(tried > 0);
});

test('nesting one level either side of the guard, behind every comment, string and line end', () => {
  const tried = fuzzFor(nesting, (t) => {
    const r = feed(t);
    assert.ok(r === 'refused', `nesting was not refused: ${JSON.stringify(t.slice(0, 40))}`);
  }, { seed: SEED, runs: RUNS, budgetMs: BUDGET_MS, label: 'nesting past the guard' });
  assert.ok(tried > 0);
});
