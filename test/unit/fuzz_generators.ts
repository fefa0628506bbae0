/**
 * Structure-aware generators for the fuzz targets (fuzz.test.ts, fuzz_patch.test.ts): inputs at
 * the places hostile inputs of issue 19 hit, rather than random bytes. Numbers at 2^31, 2^32, 2^40,
 * 2^53 and one either side, negative and fractional; counts that claim more than is there (a
 * clear's pages, a hunk header's line counts); nesting one level either side of the guard; every
 * escape and line end (CR, CRLF, U+2028, comments of both kinds, quoted-printable soft breaks).
 * Each generator is a fast-check Arbitrary, so a failure shrinks and replays from its seed.
 */
import fc from 'fast-check';
import { MAX_NESTING } from '../../src/scenario/jsonc';

/** Whole numbers around each power that bounds something, and values that are not whole numbers at all. */
export const EDGE_NUMBERS: ReadonlyArray<number | string> = [
  ...[26, 31, 32, 40, 53].flatMap((p) => [2 ** p - 1, 2 ** p, 2 ** p + 1]),
  0, -1, -(2 ** 31), -(2 ** 53), 0.5, -0.5, 1e308, 1e-7, 63, 64, 65, 511, 512,
  '0x7fffffff', '0x80000000', '0xffffffff', '0x100000000', '0x1fffffffffffff', '0x20000000000000', '0x' + 'f'.repeat(30), '-1', '1e3', '',
];

export const edgeNumber = fc.constantFrom(...EDGE_NUMBERS);

/** Line ends and escapes the readers must agree on. */
export const LINE_ENDS = ['\n', '\r\n', '\r', '\u2028', '\u2029'] as const;

/** Text that hides brackets from a reader that disagrees on where a comment or string ends. */
export const HIDERS = ['//x\r', '//x\r\n', '//x\n', '/* x\r */', '/**/', '"\\u2028"', '"\\"["', '"\u2028"', '"a\\\\"', '// \u2028 ', '"a\n'] as const;

/** Brackets nested to the guard, one under it and one past it, after something that may hide them. */
export const nesting = fc.record({
  hider: fc.constantFrom(...HIDERS),
  depth: fc.constantFrom(MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, MAX_NESTING * 2, 100_000),
  open: fc.constantFrom('[', '{"a":'),
  closed: fc.boolean(),
}).map(({ hider, depth, open, closed }) => {
  const close = open === '[' ? ']' : '}';
  return `${hider}${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`;
});

/** A JSON text with one value at `path` replaced: numbers at their edges, strings, containers claiming more. */
export function withValueAt(doc: unknown, pick: number, value: unknown): string {
  const slots: Array<[Record<string | number, unknown>, string | number]> = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach((v, i) => { slots.push([x as unknown as Record<number, unknown>, i]); walk(v); });
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) { if (k !== 'description' && k !== 'title') slots.push([x as Record<string, unknown>, k]); walk(v); }
  };
  const copy = structuredClone(doc);
  walk(copy);
  const [obj, key] = slots[pick % slots.length];
  obj[key] = value;
  return JSON.stringify(copy, null, 2);
}

/** Serialises with a chosen line end and, sometimes, comments between the lines. */
export function reformat(json: string, eol: string, comments: boolean): string {
  return json.split('\n').map((l, i) => (comments && i % 3 === 1 ? `${l} // c${i}` : l)).join(eol === '\u2028' || eol === '\u2029' ? '\n' : eol);
}

/** A @@ header whose counts may claim more lines than follow, at the numeric edges. */
export const hunkHeader = fc.tuple(fc.constantFrom(1, 5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 0), fc.constantFrom(0, 1, 3, 4, 2 ** 31, 2 ** 32, 2 ** 53 + 2, '99999999999999999999'), fc.constantFrom(1, 2 ** 32, 2 ** 53), fc.constantFrom(0, 3, 4, 2 ** 31))
  .map(([a, b, c, d]) => `@@ -${a},${b} +${c},${d} @@ static void drop_large_spte(struct kvm *kvm, u64 *sptep, bool flush)`);

/** The lines of a hunk, some with escapes or odd line ends inside. */
export const hunkBody = fc.array(fc.tuple(fc.constantFrom(' ', '-', '+'), fc.constantFrom('drop_spte(kvm, sptep);', 'if (flush)', '\tkvm_flush_remote_tlbs(kvm);', '}', '{', '', 'x\u2028y', 'a\rb', '=F0=9F=98=80'))
  .map(([m, t]) => m + t), { maxLength: 8 });

/** A quoted-printable encoding of `text` with soft line breaks put in at `cuts` (also inside escapes). */
export function quotedPrintable(text: string, cuts: number[]): string {
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (const b of bytes) out += b === 10 ? '\n' : b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  const sorted = [...new Set(cuts.map((c) => c % (out.length + 1)))].sort((x, y) => y - x);
  for (const c of sorted) out = out.slice(0, c) + '=\n' + out.slice(c);
  return out;
}

/**
 * Runs `property` on values of `arb` from a fixed seed until `runs` values or `budgetMs` of wall
 * time, whichever comes first, and returns how many it tried. The budget only bounds the suite's
 * time: no assertion reads a time.
 */
export function fuzzFor<T>(arb: fc.Arbitrary<T>, property: (v: T) => void, opts: { seed: number; runs: number; budgetMs: number; label: string | (() => string) }): number {
  let tried = 0;
  fc.assert(fc.property(arb, (v) => {
    tried++;
    property(v);
  }), { seed: opts.seed, numRuns: opts.runs, interruptAfterTimeLimit: opts.budgetMs, markInterruptAsFailure: false });
  console.log(`# fuzz ${typeof opts.label === 'string' ? opts.label : opts.label()}: ${tried} inputs tried (seed ${opts.seed})`);
  return tried;
}
