/**
 * x86-64 4-level paging, with the number of entries per table as a parameter so that the same
 * code runs at full scale (E = 512) and in the explorer's small scope (E = 2, 4, 8).
 * Addresses are page numbers (4 KiB units) throughout, as gfn_t is in the kernel.
 */

export const PG_LEVEL_4K = 1;
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;
export const PT64_ROOT_4LEVEL = 4;
/** KVM_MAX_HUGEPAGE_LEVEL on x86 with 1 GiB pages. */
export const KVM_MAX_HUGEPAGE_LEVEL = PG_LEVEL_1G;

export type Level = 1 | 2 | 3 | 4;

export class Geometry {
  /** log2 of the entries per table; E must be a power of two, as in hardware. */
  readonly shift: number;
  /** pagesPerHpage[level] = KVM_PAGES_PER_HPAGE(level) = E^(level-1). */
  private readonly pagesPerHpage: number[];

  constructor(readonly entries: number) {
    if (!Number.isInteger(entries) || entries < 2 || entries > 512 || (entries & (entries - 1)) !== 0) {
      throw new RangeError(`entries per table must be a power of two from 2 to 512, got ${entries}`);
    }
    this.shift = Math.log2(entries);
    this.pagesPerHpage = [0, 1, entries, entries ** 2, entries ** 3, entries ** 4];
  }

  /** KVM_PAGES_PER_HPAGE(level): 4 KiB pages covered by one SPTE of a level-`level` table. */
  pages(level: number): number {
    return this.pagesPerHpage[level];
  }

  /** Pages covered by a whole table at `level` (E entries of `pages(level)` each). */
  tablePages(level: number): number {
    return this.pagesPerHpage[level + 1];
  }

  /** Index of `addr` in a table at `level`: SPTE_INDEX(addr, level). */
  index(addr: number, level: number): number {
    return Math.floor(addr / this.pagesPerHpage[level]) % this.entries;
  }

  /** gfn_round_for_level(): the base of the level-sized frame holding `addr`. */
  round(addr: number, level: number): number {
    const n = this.pagesPerHpage[level];
    return addr - (addr % n);
  }

  /** Size name for a level at this geometry (see levelSizeName). */
  sizeName(level: number): string {
    return levelSizeName(this.entries, level);
  }

  /** Number of pages an address space of a 4-level root covers. */
  get addressSpacePages(): number {
    return this.pagesPerHpage[5];
  }
}

/** "1G", "2M", "4K" at full scale; "level-3" and so on at a small geometry (not "L3": L1 and L2 name the nested hypervisor and guest), where those sizes would lie. */
export function levelSizeName(entries: number, level: number): string {
  return entries === 512 ? ['', '4K', '2M', '1G', '512G'][level] : `level-${level}`;
}

/** Parse a size written in a scenario: "1G", "2M", "4K", or a page count. Returns pages at E=512. */
export function parseSizeName(size: string): Level | undefined {
  switch (size) {
    case '4K': return 1;
    case '2M': return 2;
    case '1G': return 3;
    default: return undefined;
  }
}

export function hex(n: number): string {
  return '0x' + n.toString(16);
}
