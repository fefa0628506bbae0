/**
 * A copy of our fixture mmu.c (test/fixtures/kernel) changed the way later kernels change the real
 * one, for the tests that the core's anchoring still finds each step: 20 lines of padding at the
 * top (every line shifts), drop_large_spte() renamed __drop_large_spte() (its v5.19 name, a known
 * other name in src/source/names.ts) and moved with the blank line after it to the end of the file,
 * and make_huge_page_split_spte() called by its mainline name make_small_spte(). Pure string work:
 * the unit tests and the integration tests (in a web worker too) share it.
 */
export const PADDING = 20;

export interface Shifted {
  text: string;
  /** 0-based line in the copy of a 0-based line of the original. */
  lineOf(original: number): number;
}

export function shiftedFixture(original: string): Shifted {
  const lines = original.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('static void drop_large_spte('));
  let end = start;
  while (!lines[end].startsWith('}')) end++;
  // The function and the blank line after it: [start, end + 1].
  const block = lines.slice(start, end + 2).map((l) => l.replace('static void drop_large_spte(', 'static void __drop_large_spte('));
  const rest = [...lines.slice(0, start), ...lines.slice(end + 2)].map((l) => l.replace('make_huge_page_split_spte(', 'make_small_spte('));
  const pad = ['/* Padding written by the tests: every line below moves down by 20. */', 'static int kvm_mmu_lab_padding(int x)', '{'];
  while (pad.length < PADDING - 1) pad.push('\tx++;');
  pad.push('}');
  const text = [...pad, ...rest, ...block].join('\n') + '\n';
  return {
    text,
    lineOf(o) {
      // Lines of the moved block follow the padding and the rest; lines after it moved up by its length.
      if (o >= start && o <= end + 1) return PADDING + rest.length + (o - start);
      return PADDING + (o > end + 1 ? o - block.length : o);
    },
  };
}
