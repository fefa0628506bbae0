/**
 * What a review concludes from a read patch and its classification: one outcome (and one
 * sentence that says it), the checks before and after the patch in each flush mode, what the two
 * flush modes show differently, the counterexample to walk, and which touched steps the code
 * before or after the patch has. Shared by the CLI (cli/patch.ts) and the review view
 * (src/review/review.ts), so that both say the same thing.
 */
import type { AnchorId } from '../kernel/anchors';
import type { FlushMode } from '../model/modes';
import { dropFlushesTableGfn, type Variant } from '../kernel/variants';
import { checkVariant, FLUSH_MODE_WORDS, stepExists, type ScenarioVerdict, type VariantChecks } from './checks';
import type { Classification } from '../patch/classify';
import { MAIL_KIND_WORDS } from '../patch/listing';
import type { ParsedInput } from '../patch/types';

/**
 * - bad-input: the input has errors (diagnostics say where);
 * - no-diff: only mails without a diff (cover letter, pull request, push notification);
 * - not-modelled: a diff, but of files that hold no modelled step;
 * - unchanged: a diff of a modelled file that changes none of the modelled functions;
 * - not-understood: changes in modelled functions that no rule maps to a variant;
 * - pass / violation: the after variant passes every check in every mode, or fails one.
 */
export type Outcome = 'bad-input' | 'no-diff' | 'not-modelled' | 'unchanged' | 'not-understood' | 'pass' | 'violation';

/** The CLI's exit status for each outcome (docs/patches.md). */
export const OUTCOME_EXIT: Record<Outcome, number> = {
  'pass': 0, 'no-diff': 0, 'unchanged': 0, 'violation': 1, 'bad-input': 2, 'not-modelled': 2, 'not-understood': 3,
};

export interface Assessment {
  outcome: Outcome;
  /** One sentence that says the outcome, the same in the CLI and the review view. */
  verdict: string;
  modes: readonly FlushMode[];
  before?: VariantChecks;
  after?: VariantChecks;
  /** What the checks show, scenario by scenario, where a mode or a side differs (plain sentences). */
  findings: string[];
  /** A scenario to walk to its violation: the one the patch introduces first, else one that fails after, else before. */
  counterexample: { scenario: string; variant: string; flushMode: FlushMode } | null;
}

const words = (m: FlushMode) => FLUSH_MODE_WORDS[m];

function failing(c: VariantChecks | undefined, scenario: string, mode: FlushMode): boolean | undefined {
  const row = c?.rows.find((r) => r.scenario === scenario && r.flushMode === mode);
  return row ? row.verdict === 'violation' : undefined;
}

/** Why a range-capable flush can fail where bare metal passes, from the variant's range policy. */
function rangeWhy(v: Variant): string {
  return dropFlushesTableGfn(v)
    ? "under a range-capable flush only the range the code passes is flushed, and this drop_large_spte() passes sp->gfn of the table that holds the huge SPTE (KVM_PAGES_PER_HPAGE of its level), which misses the huge page unless the SPTE is entry 0 of a direct table; v6.3 (1b2dc7360463) flushes the SPTE's own gfn (kvm_flush_remote_tlbs_sptep); on bare metal every remote flush is full, which hides it"
    : 'under a range-capable flush only the range the code passes is flushed; on bare metal every remote flush is full';
}

function findings(modes: readonly FlushMode[], before?: VariantChecks, after?: VariantChecks): string[] {
  const out: string[] = [];
  const scenarios = [...new Set((after ?? before)?.rows.map((r) => r.scenario) ?? [])];
  for (const s of scenarios) {
    for (const m of modes) {
      const b = failing(before, s, m);
      const a = failing(after, s, m);
      const where = `${s}, ${words(m)}`;
      if (b && a) out.push(`${where}: fails before and after the patch: the weakness predates it`);
      else if (a && b === false) out.push(`${where}: passes before the patch and fails after it: the patch introduces it`);
      else if (b && a === false) out.push(`${where}: fails before the patch and passes after it: the patch fixes it`);
      else if (a && b === undefined) out.push(`${where}: fails after the patch`);
      else if (b && a === undefined) out.push(`${where}: fails before the patch`);
    }
    // The same code passing on bare metal and failing with ranged flushes: say why, once for the
    // variants that share the reason.
    if (modes.includes('bare-metal') && modes.includes('range')) {
      const hit = [before, after].filter((c): c is VariantChecks => c !== undefined && failing(c, s, 'range') === true && failing(c, s, 'bare-metal') === false);
      for (const why of new Set(hit.map((c) => rangeWhy(c.variant)))) {
        const names = [...new Set(hit.filter((c) => rangeWhy(c.variant) === why).map((c) => c.variant.name))];
        out.push(`${s} under ${names.join(' and ')}: passes on bare metal and fails with a range-capable flush: ${why}`);
      }
    }
  }
  return [...new Set(out)];
}

function counterexample(before?: VariantChecks, after?: VariantChecks): Assessment['counterexample'] {
  const rows = (c?: VariantChecks) => c?.rows.filter((r) => r.verdict === 'violation') ?? [];
  const introduced = rows(after).find((r) => failing(before, r.scenario, r.flushMode) === false);
  const pick: [ScenarioVerdict | undefined, VariantChecks | undefined][] = [[introduced, after], [rows(after)[0], after], [rows(before)[0], before]];
  for (const [r, c] of pick) if (r && c) return { scenario: r.scenario, variant: c.variant.name, flushMode: r.flushMode };
  return null;
}

function summary(modes: readonly FlushMode[], after: VariantChecks, before?: VariantChecks): string {
  const perMode = modes.map((m) => {
    const failed = after.rows.filter((r) => r.flushMode === m && r.verdict === 'violation').map((r) => {
      const b = failing(before, r.scenario, m);
      return `${r.scenario} fails after the patch${b === true ? ', as it did before' : b === false ? ', which it did not before' : ''}`;
    });
    return `${words(m)}: ${failed.length ? failed.join(', ') : 'every scenario passes after the patch'}`;
  });
  return `${before?.variant.name ?? '?'} -> ${after.variant.name}; ${perMode.join('; ')}`;
}

/** Judge a read input; `modes` are the flush modes to check in (both by default). */
export function assess(input: ParsedInput, series: Classification, modes: readonly FlushMode[], hasErrors: boolean): Assessment {
  const base = { modes, findings: [], counterexample: null };
  const real = input.patches.filter((p) => !p.cover);
  if (hasErrors) return { ...base, outcome: 'bad-input', verdict: 'bad input: see the errors above; nothing is classified or checked' };
  if (real.length === 0) {
    const kinds = [...new Set(input.patches.map((p) => MAIL_KIND_WORDS[p.kind]))].join(', ');
    const listed = input.patches.reduce((n, p) => n + p.listed.length, 0);
    return { ...base, outcome: 'no-diff', verdict: `no diff: ${kinds}${listed ? ` listing ${listed} commit(s)` : ''}; nothing to classify or check` };
  }
  if (!series.modelledFile) {
    const files = [...new Set(real.flatMap((p) => p.files.map((f) => f.path)))].join(', ');
    return { ...base, outcome: 'not-modelled', verdict: `the patch changes ${files}, none of which holds a modelled step; nothing to check` };
  }
  if (!series.touchedFunctions.length) {
    return { ...base, outcome: 'unchanged', verdict: `the patch changes no modelled function${series.otherFunctions.length ? ` (it changes ${series.otherFunctions.join(', ')})` : ''}: the model is unchanged by it; nothing to check` };
  }
  const before = series.before ? checkVariant(series.before, modes) : undefined;
  if (!series.understood || !series.after) {
    const f = findings(modes, before);
    return { ...base, outcome: 'not-understood', before, findings: f, counterexample: counterexample(before),
      verdict: `not understood: ${series.reasons.join('; ')}; ${before ? 'the after variant is not determined, so nothing is checked after the patch' : 'neither the before nor the after variant is determined, so nothing is checked'}` };
  }
  const after = checkVariant(series.after, modes);
  const violation = after.rows.some((r) => r.verdict === 'violation');
  return {
    outcome: violation ? 'violation' : 'pass', modes, before, after,
    verdict: summary(modes, after, before), findings: findings(modes, before, after), counterexample: counterexample(before, after),
  };
}

/** The touched steps the code before or after the patch has (all of them when neither variant is known). */
export function existingSteps(ids: readonly AnchorId[], variants: ReadonlyArray<VariantChecks | undefined>): AnchorId[] {
  const known = variants.filter((v): v is VariantChecks => v !== undefined);
  return known.length ? ids.filter((id) => stepExists(id, known)) : [...ids];
}

/**
 * For the patches of a series, each with its own before and after: a patch's touched steps that
 * its code before or after has. The variants the series was checked under are reused; another
 * variant is run once, on bare metal (the steps it emits do not depend on the mode).
 */
export function patchSteps(judged: Assessment): (c: Classification) => AnchorId[] {
  const known = new Map<string, VariantChecks>();
  for (const c of [judged.before, judged.after]) if (c) known.set(c.variant.name, c);
  const checksOf = (v?: Variant) => {
    if (!v) return undefined;
    let c = known.get(v.name);
    if (!c) known.set(v.name, (c = checkVariant(v, ['bare-metal'])));
    return c;
  };
  return (c) => existingSteps(c.touchedSteps, [checksOf(c.before), checksOf(c.after)]);
}
