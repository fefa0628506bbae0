/**
 * A variant is a set of policy choices, each one a statement in some kernel's code. Presets name
 * the combinations that existed (or were proposed); a user may compose any other.
 */

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
}

export type PolicyName = Exclude<keyof Variant, 'name'>;

export const POLICY_VALUES: { [K in PolicyName]: ReadonlyArray<Variant[K]> } = {
  splitFlush: ['always', 'present-nonleaf', 'reused', 'never'],
  linkPresent: ['drop-large', 'zap-and-flush'],
  dropFlushRange: ['table-gfn', 'sptep-gfn'],
  enableLogFlush: ['if-write-protected', 'always'],
};

export interface Preset extends Variant {
  summary: string;
  safe: boolean;
}

export const PRESETS: readonly Preset[] = [
  {
    name: 'pre-patch', splitFlush: 'always', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected',
    summary: 'Before the seed: drop_large_spte() always flushes, so every split of a huge SPTE flushes.', safe: true,
  },
  {
    name: 'v7', splitFlush: 'present-nonleaf', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected',
    summary: 'The seed (v7 23/23): flush only if a reused child entry is present and not a leaf.', safe: true,
  },
  {
    name: 'never-flush', splitFlush: 'never', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected',
    summary: 'The naive optimisation: never flush when a split installs the child table. Unsafe.', safe: false,
  },
  {
    name: 'if-reused', splitFlush: 'reused', linkPresent: 'drop-large', dropFlushRange: 'table-gfn', enableLogFlush: 'if-write-protected',
    summary: 'Flush whenever the child SP was reused from the hash: safe, flushes more than v7.', safe: true,
  },
  {
    name: 'v6.3', splitFlush: 'present-nonleaf', linkPresent: 'drop-large', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always',
    summary: 'v6.3 to early 2026: the seed\'s rule, with the flush range fixed to the dropped SPTE\'s own gfn (kvm_flush_remote_tlbs_sptep) and the enable-logging flush unconditional.', safe: true,
  },
  {
    name: 'mainline-2026', splitFlush: 'present-nonleaf', linkPresent: 'zap-and-flush', dropFlushRange: 'sptep-gfn', enableLogFlush: 'always',
    summary: 'After the 2026 use-after-free fix: __link_shadow_page zaps the present SPTE and flushes every time; the seed\'s saving is gone.', safe: true,
  },
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/**
 * Parse a variant: a preset name, or a preset with overrides, "v7+splitFlush=never", or a full
 * composition "splitFlush=reused,linkPresent=drop-large,...". Throws with what was expected.
 */
export function parseVariant(spec: string): Variant {
  const [head, ...rest] = spec.split('+');
  let base: Variant;
  let assignments: string[];
  if (head.includes('=')) {
    base = { ...PRESETS[0], name: '' };
    assignments = [head, ...rest].join(',').split(',');
  } else {
    const preset = findPreset(head);
    if (!preset) throw new Error(`unknown variant '${head}': expected one of ${PRESET_NAMES.join(', ')}, or policy=value pairs`);
    base = { name: preset.name, splitFlush: preset.splitFlush, linkPresent: preset.linkPresent, dropFlushRange: preset.dropFlushRange, enableLogFlush: preset.enableLogFlush };
    assignments = rest.join(',').split(',').filter(Boolean);
  }
  const v: Variant = { ...base };
  for (const asg of assignments) {
    const [key, value] = asg.split('=');
    if (!(key in POLICY_VALUES)) throw new Error(`unknown policy '${key}' in variant '${spec}': expected one of ${Object.keys(POLICY_VALUES).join(', ')}`);
    const allowed = POLICY_VALUES[key as PolicyName] as ReadonlyArray<string>;
    if (!allowed.includes(value)) throw new Error(`policy ${key} cannot be '${value}': expected one of ${allowed.join(', ')}`);
    (v as unknown as Record<string, string>)[key] = value;
  }
  v.name = variantName(v);
  return v;
}

/** A preset's name when the policies match one, else the policy list. */
export function variantName(v: Omit<Variant, 'name'>): string {
  const preset = PRESETS.find((p) => (Object.keys(POLICY_VALUES) as PolicyName[]).every((k) => p[k] === v[k]));
  if (preset) return preset.name;
  return (Object.keys(POLICY_VALUES) as PolicyName[]).map((k) => `${k}=${v[k]}`).join(',');
}
