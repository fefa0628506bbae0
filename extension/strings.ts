// Every string the extension itself shows a person (the webview's own labels are in media/strings.ts).
export const strings = {
  outputChannel: 'KVM MMU Lab',
  panelTitle: 'KVM MMU Lab',
  panelHeading: 'KVM MMU Lab',
  panelIntro:
    'The panel and the extension are talking. Scenarios for the x86 shadow MMU will appear here: ' +
    'page tables, vCPU TLBs, every SPTE write and every TLB flush, issued or skipped, stepped next to mmu.c.',
} as const;
