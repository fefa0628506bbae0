// Which variant a walk or a search runs: the setting's or the scenario's by default, a preset picked,
// or one composed policy by policy.
import * as vscode from 'vscode';
import { findPreset, parseVariant, POLICY_VALUES, PRESETS, variantName, type PolicyName, type Variant } from '../src/kernel/variants';
import type { Scenario } from '../src/scenario/types';
import { settings } from './settings';
import { strings } from './strings';

/** kvmMmuLab.defaultVariant, else the scenario's own, else v7; a setting that does not parse says so and gives v7. */
export function defaultVariant(scenario?: Scenario): Variant {
  const spec = settings().get<string>('defaultVariant', '') || scenario?.variant || 'v7';
  try {
    return parseVariant(spec);
  } catch (error) {
    void vscode.window.showWarningMessage(strings.badVariant(spec, (error as Error).message));
    return findPreset('v7')!;
  }
}

/** The presets, `current` marked, and an item that composes a variant from the policies, starting from `current`. */
export async function pickVariant(current?: Variant, placeHolder: string = strings.pickVariant): Promise<Variant | undefined> {
  type Item = vscode.QuickPickItem & { variant?: Variant; compose?: boolean };
  const items: Item[] = PRESETS.map((p) => ({
    label: p.name,
    description: strings.variantDescription(p.splitFlush, p.safe, p.name === current?.name),
    detail: p.summary,
    variant: parseVariant(p.name),
  }));
  items.push({ label: strings.composeVariant, detail: strings.composeVariantDetail, compose: true });
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.variant) return picked.variant;
  const base: Omit<Variant, 'name'> = { ...(current ?? findPreset('v7')!) };
  const policies = Object.keys(POLICY_VALUES) as PolicyName[];
  for (const [i, policy] of policies.entries()) {
    const value = await vscode.window.showQuickPick(
      POLICY_VALUES[policy].map((v) => ({ label: v, description: v === base[policy] ? strings.current : '' })),
      { placeHolder: strings.pickPolicy(policy, i + 1, policies.length) },
    );
    if (!value) return undefined;
    (base as Record<PolicyName, string>)[policy] = value.label;
  }
  return { ...base, name: variantName(base) };
}
