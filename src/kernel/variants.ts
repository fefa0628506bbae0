/**
 * A variant is a set of policy choices, each one a statement in some kernel's code, and the kernel
 * era whose code (and function names) the rest of the model follows. Presets name the combinations
 * that existed (or were proposed); a user may compose any other, which keeps the era of the preset
 * it starts from.
 */
import { ERAS, type Era, type EraId } from './eras';

export interface Variant {
  name: string;
  /**
   * When the eager split's __link_shadow_page flushes after dropping the huge SPTE:
   * - always: drop_large_spte() flushes unconditionally (before the seed).
   * - present-nonleaf: flush |= !is_last_spte(*sptep, sp->role.level) for present reused entries (v7).
   * - reused: flush whenever shadow_mmu_get_sp_for_split() returned an existing SP.
   * - never: skip it (the optimisation the seed's comment warns against).
   */
  splitFlush: 'always' | 'present-nonleaf' | 'reused' | 'never';
  /**
   * What __link_shadow_page does with a present SPTE:
   * - drop-large: drop_large_spte(kvm, sptep, flush) (2022 to early 2026).
   * - zap-and-flush: mmu_page_zap_pte() and an unconditional full flush (the 2026 use-after-free
   *   fix, 0cb2af2ea66a), whatever the split computed.
   */
  linkPresent: 'drop-large' | 'zap-and-flush';
  /**
   * gfn and page count of drop_large_spte's flush:
   * - table-gfn: sp->gfn, KVM_PAGES_PER_HPAGE(sp->role.level), sp being the table that holds the
   *   dropped SPTE (the seed; wrong unless the SPTE is entry 0 of a direct table).
   * - sptep-gfn: kvm_flush_remote_tlbs_sptep(): the dropped SPTE's own gfn rounded to its level
   *   (v6.3, 1b2dc7360463).
   */
  dropFlushRange: 'table-gfn' | 'sptep-gfn';
  /**
   * The memslot flush after enabling dirty logging (kvm_mmu_slot_remove_write_access):
   * - if-write-protected: only if some SPTE was write-protected (before b64d740ea7dd).
   * - always: unconditional (b64d740ea7dd, "Always flush TLBs when enabling dirty logging").
   */
  enableLogFlush: 'if-write-protected' | 'always';
  /**
   * When kvm_mmu_get_child_sp() returns -EEXIST, i.e. the fault keeps the child SP the parent SPTE
   * already points to instead of looking one up for (gfn, role) (docs/kernel-guest-tables.md §2):
   * - present: the SPTE is present and not large (0cd8dc739833, 2022, until 2026).
   * - gfn: ... and the child's gfn is the gfn asked for (0cb2af2ea66a, May 2026).
   * - gfn-role: ... and its role.word too (81ccda30b4e8, June 2026).
   * With static guest tables the child always has that gfn and role, so no value changes a step.
   */
  childReuse: 'present' | 'gfn' | 'gfn-role';
  /**
   * What kvm_arch_flush_shadow_memslot() zaps when a memslot is deleted (docs/kernel-guest-tables.md
   * section 7):
   * - all-fast: kvm_mmu_zap_all_fast(), every shadow page (every era; in mainline-2026 the default
   *   KVM_X86_QUIRK_SLOT_ZAP_ALL).
   * - memslot: the quirk disabled by userspace (KVM_CAP_DISABLE_QUIRKS2, v6.12 on):
   *   kvm_mmu_zap_memslot(), the slot's leaf SPTEs through its rmaps and the SPs that shadow guest
   *   tables in it; every other SP lives on. Only the mainline-2026 era has it.
   * Not a change to the kernel's code but a per-VM choice of its user; a policy all the same, since
   * it picks which of two statements runs, and presets keep the default.
   */
  slotZap: 'all-fast' | 'memslot';
  /**
   * The kernel whose code and names the steps follow (src/kernel/eras.ts). Absent (a variant built
   * from policies alone, as the patch classifier does): the era of the preset with the same
   * policies, else v6.0.
   */
  era?: EraId;
}

export type PolicyName = Exclude<keyof Variant, 'name' | 'era'>;

export const POLICY_VALUES: { [K in PolicyName]: ReadonlyArray<Variant[K]> } = {
  splitFlush: ['always', 'present-nonleaf', 'reused', 'never'],
  linkPresent: ['drop-large', 'zap-and-flush'],
  dropFlushRange: ['table-gfn', 'sptep-gfn'],
  enableLogFlush: ['if-write-protected', 'always'],
  childReuse: ['present', 'gfn', 'gfn-role'],
  slotZap: ['all-fast', 'memslot'],
};

/**
 * The end of every switch over a policy: TypeScript proves the cases cover the policy's type (the
 * value is `never` here), and at run time a value from outside it (a variant built by hand, or a
 * value added to the type that some switch forgot) stops with its name. An if/else or an indexOf
 * would quietly take one of the known branches instead (for splitFlush: "never flush").
 */
export function unknownPolicy(policy: PolicyName, value: never): never {
  throw new Error(`internal: unknown ${policy} policy ${JSON.stringify(value)}: expected one of ${POLICY_VALUES[policy].join(', ')}`);
}

/** linkPresent: __link_shadow_page() zaps a present SPTE and flushes every time (0cb2af2ea66a). */
export function linkZapsAndFlushes(v: Pick<Variant, 'linkPresent'>): boolean {
  switch (v.linkPresent) {
    case 'zap-and-flush': return true;
    case 'drop-large': return false;
    default: return unknownPolicy('linkPresent', v.linkPresent);
  }
}

/** enableLogFlush: the memslot flush after enabling dirty logging runs whatever was write-protected (b64d740ea7dd). */
export function enableLogAlwaysFlushes(v: Pick<Variant, 'enableLogFlush'>): boolean {
  switch (v.enableLogFlush) {
    case 'always': return true;
    case 'if-write-protected': return false;
    default: return unknownPolicy('enableLogFlush', v.enableLogFlush);
  }
}

/** dropFlushRange: drop_large_spte() flushes sp->gfn of the table holding the SPTE (the seed's base), not the SPTE's own gfn. */
export function dropFlushesTableGfn(v: Pick<Variant, 'dropFlushRange'>): boolean {
  switch (v.dropFlushRange) {
    case 'table-gfn': return true;
    case 'sptep-gfn': return false;
    default: return unknownPolicy('dropFlushRange', v.dropFlushRange);
  }
}

/** slotZap: a memslot deletion zaps only what the slot needs (KVM_X86_QUIRK_SLOT_ZAP_ALL disabled), not every SP. */
export function slotZapsMemslotOnly(v: Pick<Variant, 'slotZap'>): boolean {
  switch (v.slotZap) {
    case 'memslot': return true;
    case 'all-fast': return false;
    default: return unknownPolicy('slotZap', v.slotZap);
  }
}

/**
 * Why a variant cannot run in an era, or null: slotZap=memslot needs KVM_X86_QUIRK_SLOT_ZAP_ALL,
 * which v6.0 and v6.3 do not have (their deletion always reaches kvm_mmu_zap_all_fast()).
 */
export function eraConflict(v: Pick<Variant, 'slotZap'>, era: Era): string | null {
  if (slotZapsMemslotOnly(v) && !era.names.zapMemslot) {
    return `slotZap=memslot needs KVM_X86_QUIRK_SLOT_ZAP_ALL (added in v6.12), which the ${era.id} era does not have: start from a mainline-2026 preset, e.g. mainline-2026+slotZap=memslot`;
  }
  return null;
}

/** A variant's policies alone (no name, no era). */
export function policiesOf(v: Omit<Variant, 'name'>): Omit<Variant, 'name' | 'era'> {
  return Object.fromEntries((Object.keys(POLICY_VALUES) as PolicyName[]).map((k) => [k, v[k]])) as Omit<Variant, 'name' | 'era'>;
}

export interface Preset extends Variant {
  era: EraId;
  summary: string;
  /** How the preset relates to its era's code: the code itself, or a hypothetical change to it. */
  eraNote: string;
  safe: boolean;
}

export const PRESETS: readonly Preset[] = [
  {
    name: 'pre-patch', era: 'v6.0', splitFlush: 'always', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected', childReuse: 'present', slotZap: 'all-fast',
    summary: 'Before the seed: drop_large_spte() always flushes, so every split of a huge SPTE flushes.', safe: true,
    eraNote: 'the code the seed (v7 23/23) applies to: kvm/queue of June 2022, with the shadow-MMU split series before its last patch',
  },
  {
    name: 'v7', era: 'v6.0', splitFlush: 'present-nonleaf', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected', childReuse: 'present', slotZap: 'all-fast',
    summary: 'The seed (v7 23/23): flush only if a reused child entry is present and not a leaf.', safe: true,
    eraNote: 'the seed applied: the split as released in v6.0; the enable-logging flush is still the conditional one of its base (v6.0 also has b64d740ea7dd, which makes it unconditional)',
  },
  {
    name: 'never-flush', era: 'v6.0', splitFlush: 'never', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected', childReuse: 'present', slotZap: 'all-fast',
    summary: 'The naive optimisation: never flush when a split installs the child table. Unsafe.', safe: false,
    eraNote: 'hypothetical: the v7 code with drop_large_spte(kvm, sptep, false) on the split path, the change the seed\'s comment warns against; no kernel had it',
  },
  {
    name: 'if-reused', era: 'v6.0', splitFlush: 'reused', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected', childReuse: 'present', slotZap: 'all-fast',
    summary: 'Flush whenever the child SP was reused from the hash: safe, flushes more than v7.', safe: true,
    eraNote: 'hypothetical: the v7 code with flush = true whenever shadow_mmu_get_sp_for_split() found the SP in the hash; no kernel had it',
  },
  {
    name: 'v6.3', era: 'v6.3', splitFlush: 'present-nonleaf', linkPresent: 'drop-large', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always', childReuse: 'present', slotZap: 'all-fast',
    summary: 'v6.3 to early 2026: the seed\'s rule, with the flush range fixed to the dropped SPTE\'s own gfn (kvm_flush_remote_tlbs_sptep) and the enable-logging flush unconditional.', safe: true,
    eraNote: 'v6.3 as released: Hou Wenlong\'s kvm_flush_remote_tlbs_sptep() (1b2dc7360463), b64d740ea7dd\'s unconditional flush in kvm_mmu_slot_apply_flags(); the v6.4 renames not yet',
  },
  {
    name: 'mainline-2026-pre', era: 'mainline-2026', splitFlush: 'present-nonleaf', linkPresent: 'drop-large', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always', childReuse: 'present', slotZap: 'all-fast',
    summary: 'Mainline in 2026 before both use-after-free fixes: the fault reuses any present non-large child SP, __link_shadow_page() drops a present (huge) SPTE with drop_large_spte().', safe: true,
    eraNote: 'the era\'s own code (linux-next just before 0cb2af2ea66a; 7.0.y and 6.18.y until May 2026); without a guest-table write its steps are those of v6.3 under 2026 names',
  },
  {
    name: 'mainline-2026-gfn', era: 'mainline-2026', splitFlush: 'present-nonleaf', linkPresent: 'zap-and-flush', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always', childReuse: 'gfn', slotZap: 'all-fast',
    summary: 'After the first 2026 fix (0cb2af2ea66a): the fault reuses a present child SP only if its gfn matches; __link_shadow_page() zaps any present SPTE and flushes.', safe: true,
    eraNote: 'the era\'s code with 0cb2af2ea66a ("unexpected GFN", May 2026), as in the 7.0.y/6.18.y/6.6.y backports of May 2026; the role hole 81ccda30b4e8 closes is still open, but only changing guest tables reach it',
  },
  {
    name: 'mainline-2026', era: 'mainline-2026', splitFlush: 'present-nonleaf', linkPresent: 'zap-and-flush', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always', childReuse: 'gfn-role', slotZap: 'all-fast',
    summary: 'After both 2026 use-after-free fixes: a present child SP is reused only if its gfn and role match; __link_shadow_page() zaps the present SPTE and flushes every time, so the seed\'s saving is gone.', safe: true,
    eraNote: 'the era\'s code with 0cb2af2ea66a (__link_shadow_page() zaps and flushes, drop_large_spte() gone, the gfn check) and 81ccda30b4e8 (the role check, June 2026); without a guest-table write the three mainline-2026 presets differ only where a split or fault links over a present SPTE (pre against the other two); after a VMM write of the guest entry above a linked child, childReuse parts them too',
  },
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** A variant spec that names no preset or policy, or gives a policy a value it cannot have: the user's mistake, not the core's. */
export class VariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VariantError';
  }
}

/**
 * Parse a variant: a preset name, or a preset with overrides, "v7+splitFlush=never", or a full
 * composition "splitFlush=reused,linkPresent=drop-large,...". Throws a VariantError saying what was expected.
 */
export function parseVariant(spec: string): Variant {
  const [head, ...rest] = spec.split('+');
  let base: Variant;
  let assignments: string[];
  if (head.includes('=')) {
    // A composition from policies alone starts from the first preset, and keeps its era.
    const p = PRESETS[0];
    base = { name: '', ...policiesOf(p), era: p.era };
    assignments = [head, ...rest].join(',').split(',');
  } else {
    const preset = findPreset(head);
    if (!preset) throw new VariantError(`unknown variant '${head}': expected one of ${PRESET_NAMES.join(', ')}, or policy=value pairs`);
    base = { name: preset.name, ...policiesOf(preset), era: preset.era };
    assignments = rest.join(',').split(',').filter(Boolean);
  }
  const v: Variant = { ...base };
  for (const asg of assignments) {
    const parts = asg.split('=');
    if (parts.length !== 2) throw new VariantError(`'${asg}' in variant '${spec}' is not one policy=value pair: expected policy=value, e.g. splitFlush=never`);
    const [key, value] = parts;
    // Own keys only: `in` would take toString or __proto__ from Object.prototype for a policy.
    if (!Object.hasOwn(POLICY_VALUES, key)) throw new VariantError(`unknown policy '${key}' in variant '${spec}': expected one of ${Object.keys(POLICY_VALUES).join(', ')}`);
    const allowed = POLICY_VALUES[key as PolicyName] as ReadonlyArray<string>;
    if (!allowed.includes(value)) throw new VariantError(`policy ${key} cannot be '${value}': expected one of ${allowed.join(', ')}`);
    (v as unknown as Record<string, string>)[key] = value;
  }
  const conflict = eraConflict(v, ERAS[v.era ?? 'v6.0']);
  if (conflict) throw new VariantError(`variant '${spec}': ${conflict}`);
  v.name = variantName(v);
  return v;
}

/** The preset with the same policies (and the same era, when `v` has one). */
function matchingPreset(v: Omit<Variant, 'name'>): Preset | undefined {
  return PRESETS.find((p) => (Object.keys(POLICY_VALUES) as PolicyName[]).every((k) => p[k] === v[k]) && (v.era === undefined || v.era === p.era));
}

/**
 * A preset's name when the policies (and era) match one; else the policy list (v6.0 code), or the
 * era's closest preset with the policies that differ from it, so that parseVariant() reads the name
 * back to the same variant, era included.
 */
export function variantName(v: Omit<Variant, 'name'>): string {
  const preset = matchingPreset(v);
  if (preset) return preset.name;
  const keys = Object.keys(POLICY_VALUES) as PolicyName[];
  // The era's preset that differs least (the era's namesake on a tie): mainline-2026 has three.
  const differing = (p: Preset) => keys.filter((k) => p[k] !== v[k]).length;
  const base = v.era && v.era !== 'v6.0'
    ? PRESETS.filter((p) => p.era === v.era).sort((a, b) => differing(a) - differing(b) || Number(b.name === v.era) - Number(a.name === v.era))[0]
    : undefined;
  if (base) return `${base.name}+${keys.filter((k) => base[k] !== v[k]).map((k) => `${k}=${v[k]}`).join(',')}`;
  // slotZap at its default (every preset's) is left out, so the names written before it existed
  // still read as they did; parseVariant() starts a bare composition from a preset, which has it.
  return keys.filter((k) => !(k === 'slotZap' && v[k] === 'all-fast')).map((k) => `${k}=${v[k]}`).join(',');
}

/** The era a variant's steps follow: its own, else that of the preset with the same policies, else v6.0. */
export function eraOf(v: Omit<Variant, 'name'>): Era {
  if (v.era) return ERAS[v.era];
  const keys = Object.keys(POLICY_VALUES) as PolicyName[];
  return ERAS[PRESETS.find((p) => keys.every((k) => p[k] === v[k]))?.era ?? 'v6.0'];
}
