/**
 * Large hostile inputs of the patch reader, generated (no kernel text): shared by the benchmarks
 * (bench/hostile.bench.ts) and the unit tests that count the work they cause.
 */

/** A diff that deletes one modelled function, drop_large_spte(), whose body is `n` lines. */
export function deleteFunctionDiff(n: number): string {
  const body = Array.from({ length: n }, (_, i) => `-\tv${i} = ${i};`);
  return [
    'diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c',
    '--- a/arch/x86/kvm/mmu/mmu.c',
    '+++ b/arch/x86/kvm/mmu/mmu.c',
    `@@ -100,${n + 3} +99,0 @@ static int unrelated(void)`,
    '-static void drop_large_spte(struct kvm *kvm, u64 *sptep, bool flush)',
    '-{',
    ...body,
    '-}',
    '',
  ].join('\n');
}

/** A kernel-style C file of `lines` lines: functions of 20 numbered statements each. */
export function bigSource(lines: number): string {
  const out: string[] = [];
  for (let f = 0; out.length < lines; f++) {
    out.push(`static int fn${f}(struct kvm *kvm)`, '{');
    for (let i = 0; i < 20; i++) out.push(`\tkvm->stat${i} += ${f};`);
    out.push('}', '');
  }
  return out.slice(0, lines).join('\n') + '\n';
}

/** A diff of `hunks` hunks against mmu.c whose old lines are in no file (each hunk 3 context lines, one change). */
export function nonMatchingHunks(hunks: number, fileLines: number): string {
  const out = ['diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c', '--- a/arch/x86/kvm/mmu/mmu.c', '+++ b/arch/x86/kvm/mmu/mmu.c'];
  for (let h = 0; h < hunks; h++) {
    const at = Math.floor((h * fileLines) / hunks) + 1;
    out.push(`@@ -${at},4 +${at},4 @@ static int fn${h}(struct kvm *kvm)`, `\tmissing_a${h}();`, `\tmissing_b${h}();`, `-\tmissing_c${h}();`, `+\tchanged_c${h}();`, `\tmissing_d${h}();`);
  }
  return out.join('\n') + '\n';
}
