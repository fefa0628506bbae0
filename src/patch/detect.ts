/**
 * What the editor side needs to know about a text and a tree before any review runs: whether a
 * text is a patch, and which kernel files the model's steps live in. Kept apart from review.ts so
 * that the extension's first-loaded code does not pull in the scenario runner.
 */

/** The kernel files the modelled steps are in, relative to a tree's root. */
export const REVIEW_TREE_FILES = ['arch/x86/kvm/mmu/mmu.c', 'arch/x86/kvm/mmu/paging_tmpl.h', 'arch/x86/kvm/mmu/spte.c', 'arch/x86/kvm/x86.c', 'virt/kvm/kvm_main.c'];

/** A text that holds a diff or a patch mail (looked for in its first 200,000 characters). */
export function looksLikePatch(text: string): boolean {
  const head = text.slice(0, 200_000);
  return /^(diff --git |--- \S|@@ -\d)/m.test(head) || /^Subject: \[PATCH/m.test(head);
}
