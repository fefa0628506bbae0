/**
 * SPTEs. The model keeps an SPTE as a small bit set (flags) plus a target (a pfn for a leaf, the
 * id of the child kvm_mmu_page for a non-leaf). `spteValue()` renders the 64-bit value a reviewer
 * would see in a trace, laid out like a shadow-paging SPTE.
 */

export const SPTE_PRESENT = 1 << 0;
/** PT_PAGE_SIZE_MASK: a leaf above level 1 (huge page). */
export const SPTE_LARGE = 1 << 1;
/** PT_WRITABLE_MASK: hardware may write through this translation. */
export const SPTE_WRITABLE = 1 << 2;
/** shadow_host_writable_mask: the host mapping allows writes. */
export const SPTE_HOST_WRITABLE = 1 << 3;
/** shadow_mmu_writable_mask: KVM allows making this SPTE writable (not write-tracked). */
export const SPTE_MMU_WRITABLE = 1 << 4;
export const SPTE_ACCESSED = 1 << 5;
export const SPTE_DIRTY = 1 << 6;
export const SPTE_EXEC = 1 << 7;

/** ACC_* from the kernel: permissions carried in role.access and in a guest PTE. */
export const ACC_EXEC_MASK = 1;
export const ACC_WRITE_MASK = 2;
export const ACC_USER_MASK = 4;
export const ACC_ALL = ACC_EXEC_MASK | ACC_WRITE_MASK | ACC_USER_MASK;

export function isShadowPresent(flags: number): boolean {
  return (flags & SPTE_PRESENT) !== 0;
}

/** is_last_spte(spte, level): a leaf, i.e. level 1 or a huge page. */
export function isLastSpte(flags: number, level: number): boolean {
  return level === 1 || (flags & SPTE_LARGE) !== 0;
}

/** Short human form: "2M leaf pfn 0x1234 W" / "-> sp#3" / "not present". */
export function describeSpte(flags: number, target: number, level: number, sizeName: (l: number) => string): string {
  if (!isShadowPresent(flags)) return 'not present';
  if (!isLastSpte(flags, level)) return `-> sp#${target}`;
  const perms = (flags & SPTE_WRITABLE ? 'W' : 'R') + (flags & SPTE_MMU_WRITABLE ? '' : ' wp-tracked');
  return `${sizeName(level)} leaf pfn 0x${target.toString(16)} ${perms}`;
}

/**
 * The 64-bit value, with bit positions as in the kernel's shadow-paging SPTE: P=0, W=1, U=2,
 * A=5, D=6, PS=7, host-writable=9, mmu-writable=10, address bits 12..51, NX=63. A non-leaf's
 * address is a synthetic host-physical address of the child table (sp id based).
 */
export function spteValue(flags: number, target: number, level: number): bigint {
  if (!isShadowPresent(flags)) return 0n;
  let v = 1n | (1n << 2n);
  if (flags & SPTE_WRITABLE) v |= 1n << 1n;
  if (flags & SPTE_ACCESSED) v |= 1n << 5n;
  if (flags & SPTE_DIRTY) v |= 1n << 6n;
  if (isLastSpte(flags, level)) {
    if (level > 1) v |= 1n << 7n;
    if (flags & SPTE_HOST_WRITABLE) v |= 1n << 9n;
    if (flags & SPTE_MMU_WRITABLE) v |= 1n << 10n;
    if (!(flags & SPTE_EXEC)) v |= 1n << 63n;
    v |= BigInt(target) << 12n;
  } else {
    v |= 1n << 1n;
    v |= (0x1000000n + BigInt(target)) << 12n;
  }
  return v;
}

export function spteHex(flags: number, target: number, level: number): string {
  return '0x' + spteValue(flags, target, level).toString(16).padStart(16, '0');
}
