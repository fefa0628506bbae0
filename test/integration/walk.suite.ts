// Walking a split next to mmu.c, in a real VS Code: every command of the walk, what the panel's
// webview says it rendered, and what the editor beside it is decorated with. The workspace
// (scripts/run-integration-tests.mjs) holds our own mmu.c-like fixture in kernel/ and a scenario
// file in scenarios/. Prints the step timings (snapshot in the extension, render in the webview)
// as `kvm-mmu-lab-timing` lines, which the runner keeps in test-artifacts/logs/; nothing asserts on time.
import * as vscode from 'vscode';
import type { KvmMmuLabApi, StepTiming } from '../../extension/activate';
import { anchorSources, type AnchorResult } from '../../src/anchor/anchor';
import { indexFunctions } from '../../src/source/cfunc';
import { ANCHORS, type AnchorId } from '../../src/kernel/anchors';
import { anchorKey, modelListing } from '../../src/view/listing';
import { shiftedFixture } from '../unit/shifted';
import { strings } from '../../extension/strings';
import type { HostKind } from '../../src/view/protocol';
import { equal, match, ok } from './assert';
import { percentiles } from '../support/percentiles';
import { CPU_MARK, EDITOR_AB_FILE, EDITOR_AB_TAG, FULL_SERIES_FILE, WORKBENCH_BENCH_TAG } from '../../scripts/lib/workbench-timings.mjs';

const EXTENSION_ID = 'kvm-mmu-lab.kvm-mmu-lab';
const MMU = 'arch/x86/kvm/mmu/mmu.c';

const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

function workspace(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  ok(folder, 'the test workspace is not open');
  return folder.uri;
}

/** Whether the runner asked the benchmark for its full series (`npm run bench -- --workbench`: FULL_SERIES_FILE in the workspace). */
async function fullSeries(): Promise<boolean> {
  return workspaceHas(FULL_SERIES_FILE);
}

async function workspaceHas(name: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(workspace(), name));
    return true;
  } catch {
    return false;
  }
}

/** Markdown that went in as text (MarkdownString.appendText: spaces as &nbsp;, Markdown characters escaped), as plain text. */
function plain(markdown: string): string {
  return markdown.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
}

/**
 * Whether `line` comes into the editor's view within a few seconds, as a user watching it would
 * see: a reveal is a request to the workbench, and the editor's visible ranges reach the
 * extension host after the workbench has scrolled (the walk moves the editor once stepping pauses,
 * extension/walk.ts, so its reveal is often the last thing done before the test looks).
 */
async function inView(editor: vscode.TextEditor, line: number, ms = 3000): Promise<boolean> {
  const shows = () => editor.visibleRanges.some((r) => r.contains(new vscode.Position(line, 0)));
  const until = Date.now() + ms;
  while (!shows() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return shows();
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]?.toFixed(2)} ms, max ${s[s.length - 1]?.toFixed(2)} ms over ${s.length}`;
}

export function walkSuite(host: HostKind): void {
  describe(`Walking a split next to mmu.c (${host} extension host)`, () => {
    let api: KvmMmuLabApi;
    const mmuUri = () => vscode.Uri.joinPath(workspace(), 'kernel', MMU);
    let mmuText = '';
    // 0-based line of a step's statement in the fixture, found by the core's anchoring (the extension uses the same).
    const lineOf = (a: { fn: string; stmt: string }) => {
      const id = (Object.keys(ANCHORS) as AnchorId[]).find((k) => ANCHORS[k].fn === a.fn && ANCHORS[k].stmt === a.stmt)!;
      const at: AnchorResult = anchorSources([{ path: MMU, text: mmuText }], [id])[0];
      ok(at.found && at.how === 'exact', `${a.fn}: "${a.stmt}" not in the fixture`);
      return at.line - 1;
    };
    const fnLine = (fn: string) => indexFunctions(mmuText.split('\n')).find((s) => s.name === fn)!.start - 1;

    before(async () => {
      api = await vscode.extensions.getExtension<KvmMmuLabApi>(EXTENSION_ID)!.activate();
      mmuText = new TextDecoder().decode(await vscode.workspace.fs.readFile(mmuUri()));
      await vscode.workspace.getConfiguration('kvmMmuLab').update('kernelTree', undefined, vscode.ConfigurationTarget.Workspace);
    });

    after(async () => {
      const t: readonly StepTiming[] = api.timings;
      console.log(`kvm-mmu-lab-timing ${host} host: snapshot in the extension ${stats(t.map((x) => x.snapshotMs))}; render in the webview ${stats(t.map((x) => x.renderMs))}`);
      for (const x of t) console.log(`kvm-mmu-lab-timing ${host} ${x.surface} step ${x.index + 1}: snapshot ${x.snapshotMs} ms, render ${x.renderMs} ms`);
      await vscode.workspace.getConfiguration('kvmMmuLab').update('kernelTree', undefined, vscode.ConfigurationTarget.Workspace);
    });

    it('contributes every command of the walk under "KVM MMU Lab", the stepping ones only while walking', async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
        contributes: { commands: { command: string; title: string; category: string; enablement?: string }[]; menus: { commandPalette: { command: string; when: string }[] }; keybindings: { command: string; key: string; when: string }[] };
      };
      const titles = manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`);
      for (const t of ['Open Panel', 'Walk Through Scenario…', 'Step Forward', 'Step Back', 'Restart', 'Run to Next Flush', 'Run to Violation', 'Choose Variant…', 'Locate mmu.c', 'Export Trace']) {
        ok(titles.includes(`KVM MMU Lab: ${t}`), `"KVM MMU Lab: ${t}" is not contributed`);
      }
      const registered = await vscode.commands.getCommands(true);
      for (const c of manifest.contributes.commands) ok(registered.includes(c.command), `${c.command} is contributed but not registered`);
      const when = new Map(manifest.contributes.menus.commandPalette.map((m) => [m.command, m.when]));
      for (const c of ['kvmMmuLab.stepForward', 'kvmMmuLab.stepBack', 'kvmMmuLab.restart', 'kvmMmuLab.runToNextFlush', 'kvmMmuLab.runToViolation', 'kvmMmuLab.exportTrace']) equal(when.get(c), 'kvmMmuLab.walking', `palette when clause of ${c}`);
      ok(manifest.contributes.keybindings.some((k) => k.command === 'kvmMmuLab.stepForward' && /walking/.test(k.when)), 'no keybinding for Step Forward while walking');
    });

    it('walks reused-partial under never-flush without a kernel tree: the model listing is shown and highlighted', async () => {
      const total = await run<number>('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'never-flush' });
      await api.panelReady();
      const walk = api.walk();
      ok(walk, 'no walk after Walk Through Scenario');
      equal(walk.total, total, 'steps reported by the command');
      equal(walk.index, -1, 'a new walk starts before its first step');
      const idx = await run<number>('kvmMmuLab.stepForward');
      equal(idx, 0, 'index after Step Forward');
      const [timing] = await api.settled();
      ok(timing, 'the panel did not render the step');
      const d = api.decorations();
      ok(d, 'no decorations after the first step');
      match(d.uri, /^kvm-mmu-lab:/, 'document highlighted without a kernel tree');
      const listing = modelListing(strings.listingHeader);
      equal(d.current[0][0], listing.lines.get(anchorKey(ANCHORS.hwAccess)), 'listing line of the first step (the guest access)');
      ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === d.uri), 'the listing is not in a visible editor');
    });

    it('without a kernel tree, with our fixture patch open: each step in its hunks where its function is, else the listing; panel and status say which', async () => {
      const patchUri = vscode.Uri.joinPath(workspace(), 'patches', 'seed-like.format-patch.patch');
      const patchLines = new TextDecoder().decode(await vscode.workspace.fs.readFile(patchUri)).split('\n');
      const lineIn = (line: string) => {
        const at = patchLines.indexOf(line);
        ok(at >= 0 && patchLines.indexOf(line, at + 1) < 0, `"${line}" is not once in the patch`);
        return at;
      };
      const isPatch = (d = api.decorations()) => d?.uri === patchUri.toString();
      // Beside the panel, where the listing is, as a reviewer would have it (not over the panel).
      const column = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'kvm-mmu-lab')?.viewColumn ?? vscode.ViewColumn.Beside;
      await vscode.window.showTextDocument(patchUri, { preview: false, viewColumn: column });
      try {
        await run('kvmMmuLab.restart');
        const name = 'patches/seed-like.format-patch.patch';
        equal(api.source().label, `patch hunks: ${name}`, 'source before the first step, with the patch open');
        // The first flush of reused-partial is the split's, skipped under never-flush, in drop_large_spte().
        const flush = await run<number>('kvmMmuLab.runToNextFlush');
        await api.settled();
        ok(isPatch(), `the flush is not shown in the patch: ${JSON.stringify(api.decorations())}`);
        // The patch removes the unconditional flush and adds it again under if (flush): both lines
        // are the model's statement exactly, and the core takes the added one (the new side wins a tie).
        const flushLine = lineIn('+\t\tkvm_flush_remote_tlbs_with_address(kvm, sp->gfn,');
        equal(api.decorations()!.current[0][0], flushLine, 'highlighted line in the patch: the added flush');
        ok(api.decorations()!.skipped.includes(flushLine), 'the skipped flush is marked in the patch');
        const src = api.source();
        equal(src.kind, 'patch', 'source kind');
        equal(src.label, `patch hunks: ${name}`, 'source label');
        equal(src.location, `${name}:${flushLine + 1}`, 'source location');
        match(src.note, /Locate mmu\.c/, 'the note says how to point at a kernel tree');
        const status = api.status();
        match(status.text, new RegExp(`patch hunks: ${name}`), 'status bar text');
        match(status.tooltip, /command:kvmMmuLab\.locateKernelTree/, 'the status tooltip links Locate mmu.c');
        // One step back: drop_spte(kvm, sptep), a context line of drop_large_spte()'s second hunk.
        equal(await run<number>('kvmMmuLab.stepBack'), flush - 1, 'index after Step Back');
        // The editor beside follows once stepping pauses (extension/walk.ts): wait for it as a user does.
        await api.settled();
        equal(api.decorations()!.current[0][0], lineIn(' \tdrop_spte(kvm, sptep);'), 'drop_spte() in the patch');
        // Back to the split's first step, sp = shadow_mmu_get_sp_for_split(): the split function is in
        // the patch but not that statement, so the line that starts the function there is highlighted
        // (its definition, a context line at the end of link_shadow_page()'s hunk).
        const getSp = await run<number>('kvmMmuLab.walkHere', 'shadow_mmu_split_huge_page');
        ok(getSp < flush, `walkHere went to step ${getSp}`);
        await api.settled();
        equal(api.decorations()!.current[0][0], lineIn(' static void shadow_mmu_split_huge_page(struct kvm *kvm,'), 'the split function\'s first line in the patch');
        match(api.source().note, /is not among its hunk lines/, 'the note says the statement is not in the hunks');
        // kvm_clear_dirty_log_protect() (kvm_main.c) is not in the patch: that step is in the listing.
        await run('kvmMmuLab.runToViolation');
        await api.settled();
        const d = api.decorations()!;
        match(d.uri, /^kvm-mmu-lab:/, 'the violation\'s step is shown in the listing');
        equal(api.source().kind, 'listing', 'source kind for a step not in the patch');
        match(api.source().note, /kvm_clear_dirty_log_protect\(\) is not in the hunks of patches\/seed-like\.format-patch\.patch.*Locate mmu\.c/, 'why the listing');
        // The listing did not replace the patch's tab: the next step in the patch is shown in it again.
        await run('kvmMmuLab.walkHere', 'drop_large_spte');
        await api.settled();
        ok(isPatch(), 'back in the patch after the listing');
      } finally {
        const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === patchUri.toString());
        if (tab) await vscode.window.tabGroups.close(tab);
      }
    });

    it('Run to Violation stops at the stale 1G entry; the webview rendered that step', async () => {
      const rendered = api.nextMessageFromWebview('rendered');
      const idx = await run<number>('kvmMmuLab.runToViolation');
      const walk = api.walk()!;
      equal(idx, walk.violations[0], 'index after Run to Violation');
      const r = await rendered;
      equal(r.index, idx, 'step the webview rendered');
      match(r.text, new RegExp(`^Step ${idx} \\(0–${walk.total - 1}\\) · kvm_clear_dirty_log_protect`), 'step heading in the panel');
    });

    it('the step before the violation shows an open hazard, not "All checks pass", in the panel and the status bar', async () => {
      const walk = api.walk()!;
      const unlock = walk.violations[0];
      equal(api.walk()!.index, unlock, 'at the violation (the test before ran to it)');
      // From the drop of B's huge SPTE (step 25) to this unlock vCPU 0's 1G entry is stale and the
      // split's flush (the run's first flush step, skipped under never-flush) did not remove it.
      const skipped = walk.flushSteps[0];
      equal(await run<number>('kvmMmuLab.stepBack'), unlock - 1, 'index after Step Back');
      await api.settled();
      const text = (await api.inspectWebview('panel'))!.text;
      ok(!text.includes('All checks pass'), `the panel says all checks pass beside the stale entry: ${text.slice(0, 400)}`);
      match(text, /OPEN HAZARD \(unmapped\)/, 'the panel names the open hazard');
      match(text, new RegExp(`A stale translation must be flushed before mmu_lock is released.*vCPU 0's 1G entry tlb#1 \\(root B, gfns 0x40000\\.\\.0x7ffff, W\\).*\\(flush skipped at step ${skipped}\\)\\. mmu_lock is released at step ${unlock}\\.`), 'the hazard\'s sentence');
      match(text, new RegExp(`Go to step ${skipped}: the skipped flush`), 'the link to the skipped flush');
      const status = api.status();
      match(status.text, /\$\(warning\) open hazard/, 'status bar text');
      match(plain(status.tooltip), /A stale translation must be flushed before mmu_lock is released/, 'status bar tooltip');
      match(status.tooltip, /The whole run:\*\* VIOLATION \(2\)/, 'the run\'s verdict in the tooltip');
      equal(await run<number>('kvmMmuLab.stepForward'), unlock, 'back at the violation');
      await api.settled();
      match(api.status().text, /\$\(error\) VIOLATION/, 'status bar at the violation');
      ok(!(await api.inspectWebview('panel'))!.text.includes('OPEN HAZARD'), 'at the violation the hazard has become the violation');
    });

    it('Locate mmu.c points the kernel tree at the fixture; Run to Next Flush highlights the skipped flush in mmu.c', async () => {
      const set = await run<string>('kvmMmuLab.locateKernelTree', mmuUri());
      match(set ?? '', /kernel$/, 'kernel tree setting');
      await run('kvmMmuLab.restart');
      equal(api.walk()!.index, -1, 'index after Restart');
      // The first flush of the run is the split's, skipped under never-flush.
      let idx = -1;
      for (let i = 0; i < 20 && idx < 0; i++) {
        const at = await run<number>('kvmMmuLab.runToNextFlush');
        if (api.walk()!.flushSteps.includes(at) && (await api.settled(), api.decorations()?.uri.endsWith(MMU))) idx = at;
      }
      ok(idx >= 0, 'Run to Next Flush never reached a flush in mmu.c');
      const d = api.decorations()!;
      equal(d.uri, mmuUri().toString(), 'document highlighted');
      const skippedLine = lineOf(ANCHORS.dropLargeFlush);
      equal(d.current[0][0], skippedLine, 'current line: the flush in drop_large_spte');
      ok(d.skipped.includes(skippedLine), `the skipped flush is not marked (skipped lines ${JSON.stringify(d.skipped)})`);
      ok(d.taken.includes(lineOf(ANCHORS.splitGetSp)), 'the split\'s shadow_mmu_get_sp_for_split is not marked as taken');
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === d.uri);
      ok(editor, 'mmu.c is not in a visible editor');
      ok(await inView(editor, skippedLine), 'the highlighted line was not revealed');
    });

    it('hovering the skipped flush explains the step and what it changed', async () => {
      const line = lineOf(ANCHORS.dropLargeFlush);
      const hovers = await run<vscode.Hover[]>('vscode.executeHoverProvider', mmuUri(), new vscode.Position(line, 4));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      match(text, /KVM MMU Lab — step \d+ \(0–\d+\)/, 'hover heading');
      match(plain(text), /flush SKIPPED: kvm_flush_remote_tlbs_with_address/, 'hover says the flush was skipped (its changes go in as text, escaped)');
    });

    it('Step Forward then Step Back returns to the same step and the same highlight', async () => {
      const before = api.walk()!.index;
      await api.settled();
      const d0 = JSON.stringify(api.decorations());
      equal(await run<number>('kvmMmuLab.stepForward'), before + 1, 'index after Step Forward');
      // The editor beside follows once stepping pauses (extension/walk.ts): wait for it as a user does.
      await api.settled();
      const d1 = api.decorations()!;
      equal(d1.current[0][0], lineOf(ANCHORS.linkSet), 'the step after the skipped flush installs the table');
      ok(d1.skipped.includes(lineOf(ANCHORS.dropLargeFlush)), 'the skipped flush stays marked after stepping on');
      equal(await run<number>('kvmMmuLab.stepBack'), before, 'index after Step Back');
      await api.settled();
      equal(JSON.stringify(api.decorations()), d0, 'decorations after stepping back');
    });

    it('Run to Violation with the kernel tree: KVM_MMU_UNLOCK in the listing, and beside it mmu.c with the skipped flush marked, its hover naming the violation', async () => {
      // The tests after this one run to the first violation from before it: leave the walk there.
      try {
        await culpritAtViolation();
      } finally {
        await run('kvmMmuLab.restart');
      }
    });

    async function culpritAtViolation(): Promise<void> {
      const idx = await run<number>('kvmMmuLab.runToViolation');
      const walk = api.walk()!;
      equal(idx, walk.violations[0], 'at the first violation');
      await api.settled();
      const d = api.decorations()!;
      // The step is in virt/kvm/kvm_main.c, which the fixture tree lacks: the listing shows it.
      const listing = modelListing(strings.listingHeader);
      match(d.uri, /^kvm-mmu-lab:/, 'the current step in the listing');
      equal(d.current[0][0], listing.lines.get(anchorKey(ANCHORS.clearUnlock)), 'KVM_MMU_UNLOCK in the listing');
      // Its cause: the flush drop_large_spte() skipped (the run's first flush step), in mmu.c.
      const culprit = lineOf(ANCHORS.dropLargeFlush);
      ok(d.culprit, `no culprit at the violation: ${JSON.stringify(d)}`);
      equal(d.culprit.uri, mmuUri().toString(), 'the culprit is shown in the kernel tree\'s mmu.c');
      equal(d.culprit.line, culprit, 'the culprit line: the flush in drop_large_spte()');
      equal(d.culprit.step, walk.flushSteps[0], 'the culprit step');
      equal(d.culprit.violationStep, idx, 'the violation it explains');
      const editors = vscode.window.visibleTextEditors;
      const listingEditor = editors.find((e) => e.document.uri.toString() === d.uri);
      const mmuEditor = editors.find((e) => e.document.uri.toString() === mmuUri().toString());
      ok(listingEditor && mmuEditor, `the listing and mmu.c are not both on screen: ${editors.map((e) => e.document.uri.toString()).join(', ')}`);
      ok(await inView(mmuEditor, culprit), 'the skipped flush is not in view in mmu.c');
      const hovers = await run<vscode.Hover[]>('vscode.executeHoverProvider', mmuUri(), new vscode.Position(culprit, 4));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      match(text, new RegExp(`flush skipped here at step ${walk.flushSteps[0]}, the cause of the violation at step ${idx}`), 'the culprit\'s hover');
      match(plain(text), /vCPU 0 still maps gfn 0x40200 writable via a 1G TLB entry \(tlb#1, root B\)/, 'the hover carries the violation');
      // One step on, still marked (not revealed again); back before the violation, no culprit.
      await run('kvmMmuLab.stepForward');
      await api.settled();
      equal(api.decorations()!.culprit?.line, culprit, 'still marked after the violation');
      await run('kvmMmuLab.stepBack');
      await run('kvmMmuLab.stepBack');
      await api.settled();
      equal(api.decorations()!.culprit, undefined, 'no culprit before the violation');
    }

    it('Choose Variant v7 at the violation stays at the same statement, where the flush was issued', async () => {
      await run('kvmMmuLab.runToViolation');
      const at = api.walk()!.index;
      const rendered = api.nextMessageFromWebview('rendered');
      equal(await run<string>('kvmMmuLab.chooseVariant', 'v7'), 'v7', 'variant chosen');
      const walk = api.walk()!;
      equal(walk.variant, 'v7', 'variant of the walk');
      equal(walk.violations.length, 0, 'violations under v7');
      match((await rendered).text, /kvm_clear_dirty_log_protect/, 'the panel shows the same statement');
      ok(walk.index >= at, `v7 runs more steps before it (index ${walk.index}, was ${at})`);
    });

    it('CodeLens over the modelled functions of mmu.c: "Walk the split here" goes to that function', async () => {
      const lenses = await run<vscode.CodeLens[]>('vscode.executeCodeLensProvider', mmuUri());
      const titles = lenses.map((l) => `${l.range.start.line}:${l.command?.title}`);
      const splitLine = fnLine('shadow_mmu_split_huge_page');
      ok(titles.includes(`${splitLine}:${strings.lensWalk}`), `no "Walk the split here" over shadow_mmu_split_huge_page: ${titles.join(' | ')}`);
      ok(titles.includes(`${splitLine}:${strings.lensCompare}`), 'no "Compare variants" lens');
      await run('kvmMmuLab.restart');
      const lens = lenses.find((l) => l.range.start.line === fnLine('drop_large_spte') && l.command?.command === 'kvmMmuLab.walkHere')!;
      const idx = await run<number>(lens.command!.command, ...(lens.command!.arguments ?? []));
      ok(idx >= 0, 'walkHere did not move');
      await api.settled();
      equal(api.decorations()?.current[0][0], lineOf(ANCHORS.dropSpte), 'highlighted after Walk the split here on drop_large_spte');
    });

    it('Compare Variants (without the full-scale column) gives every preset\'s verdict as a Markdown table too', async () => {
      const { markdown: md } = (await run<{ markdown: string }>('kvmMmuLab.compareVariants', { scenario: 'reused-partial', fullScale: false }))!;
      match(md, /\| `never-flush` \| \*\*VIOLATION\*\* \|/, 'never-flush row');
      match(md, /\| `v7` \| pass \|/, 'v7 row');
    });

    it('Export Trace opens the brief, the full plain text and the Markdown trace as untitled documents', async () => {
      const brief = await run<string>('kvmMmuLab.exportTrace', 'brief');
      const briefDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === brief);
      ok(briefDoc, 'no document for the brief export');
      match(briefDoc.getText(), /^verdict: (VIOLATION \(\d+ violations?\)|no violation)\n/, 'the brief starts with the verdict');
      ok(briefDoc.getText().split('\n').every((l) => l.length <= 72), 'a line of the brief over 72 columns');
      const text = await run<string>('kvmMmuLab.exportTrace', 'text');
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === text);
      ok(doc, 'no document for the plain-text export');
      ok(doc.isUntitled, 'the export is not an untitled document');
      match(doc.getText(), /^kvm-mmu-lab trace: scenario reused-partial, variant v7/, 'plain-text trace');
      const md = await run<string>('kvmMmuLab.exportTrace', 'markdown');
      const mdDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === md)!;
      equal(mdDoc.languageId, 'markdown', 'language of the Markdown export');
      match(mdDoc.getText(), /^# reused-partial under v7/, 'Markdown trace');
    });

    it('walks a scenario file from the workspace', async () => {
      const [file] = await vscode.workspace.findFiles('scenarios/*.scenario.json');
      ok(file, 'no scenario file in the test workspace');
      const total = await run<number>('kvmMmuLab.walkScenario', { file: file.toString(), variant: 'never-flush' });
      const walk = api.walk()!;
      equal(walk.scenario, 'reused-partial-e4', 'scenario walked');
      equal(walk.total, total, 'steps');
      ok(walk.violations.length > 0, 'the small-scope hazard has no violation under never-flush');
      equal(await run<number>('kvmMmuLab.runToViolation'), walk.violations[0], 'Run to Violation in the file scenario');
    });

    it('a scenario "file" that is a folder is refused before it is read, and the walk in progress stays', async () => {
      const before = api.walk()!;
      const dir = vscode.Uri.joinPath(workspace(), 'scenarios', 'folder.scenario.json');
      await vscode.workspace.fs.createDirectory(dir);
      try {
        // The command's guard shows the error (extension/read_bounded.ts) and resolves undefined.
        equal(await run<number | undefined>('kvmMmuLab.walkScenario', { file: dir.toString(), variant: 'v7' }), undefined, 'a walk of a folder');
        const after = api.walk()!;
        equal(`${after.scenario} ${after.variant} ${after.index}`, `${before.scenario} ${before.variant} ${before.index}`, 'the walk in progress');
      } finally {
        await vscode.workspace.fs.delete(dir, { recursive: true });
      }
    });

    it('a reloaded panel comes back at the same step (the extension keeps the index)', async () => {
      const index = api.walk()!.index;
      const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('kvmMmuLab.panel'));
      ok(tab, 'no panel tab');
      await vscode.window.tabGroups.close(tab);
      const rendered = api.nextMessageFromWebview('rendered');
      await run('kvmMmuLab.openPanel');
      equal((await rendered).index, index, 'step rendered by the new webview');
    });

    it('the side-bar view renders the same step', async () => {
      const index = api.walk()!.index;
      const rendered = api.nextMessageFromWebview('rendered');
      await run('kvmMmuLab.sideView.focus');
      equal((await rendered).index, index, 'step rendered by the side-bar view');
      await api.settled();
      await run('kvmMmuLab.stepBack');
      const timings = await api.settled();
      ok(timings.some((t) => t.surface === 'side' && t.index === index - 1), `the side view did not render the step back: ${JSON.stringify(timings)}`);
      ok(timings.some((t) => t.surface === 'panel' && t.index === index - 1), 'the panel did not render the step back');
    });

    it('Locate mmu.c on a tree whose mmu.c is shifted, with drop_large_spte renamed and moved: the core still finds each step', async () => {
      const shifted = shiftedFixture(mmuText);
      const tree = vscode.Uri.joinPath(workspace(), 'kernel-shifted');
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(tree, 'arch/x86/kvm/mmu'));
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(tree, MMU), new TextEncoder().encode(shifted.text));
      match((await run<string>('kvmMmuLab.locateKernelTree', tree)) ?? '', /kernel-shifted$/, 'kernel tree setting');
      await run('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'never-flush' });
      await run<number>('kvmMmuLab.runToNextFlush');
      await api.settled();
      const d = api.decorations()!;
      equal(d.uri, vscode.Uri.joinPath(tree, MMU).toString(), 'document highlighted');
      // The skipped flush's line in the fixture, moved with __drop_large_spte() to the end of the
      // copy (test/unit/shifted.ts maps it): found through the function's v5.19 name.
      equal(d.current[0][0], shifted.lineOf(lineOf(ANCHORS.dropLargeFlush)), 'the flush in the moved, renamed function');
      match(api.source().note, /^Found renamed: v5\.19/, 'the panel says how it was found');
      // The split's make_small_spte() (its mainline name) was taken before. The split was below
      // drop_large_spte(): 20 lines of padding down, the 21 lines moved away from above it up.
      ok(d.taken.includes(shifted.lineOf(lineOf(ANCHORS.splitMakeSpte))), `make_small_spte() is not marked taken: ${JSON.stringify(d.taken)}`);
      equal(shifted.lineOf(lineOf(ANCHORS.splitMakeSpte)), lineOf(ANCHORS.splitMakeSpte) + 20 - 21, 'where the split went');
    });

    // The benchmark of issue 16's Numbers (docs/testing.md, "The workbench benchmark"): not a timed
    // test, nothing asserts on time. Each step of reused-partial under never-flush (512 entries a
    // table), forward then back, timed from the command to its promise settling, which is after
    // the snapshot, the status bar, and the panel's `rendered` reply (its DOM updated); the editor
    // beside follows once stepping pauses (extension/walk.ts), after the command: its work each time
    // it ran is editorFollow (editorBeside, its work within the command, is 0 then); the webview's
    // own render time from that reply; and, of the end to end, the snapshot.
    // Where the panel's round trip goes: one way in (posted to the webview's message event), the
    // webview's check (and, for a delta, building the snapshot), one way out; how long the message
    // was and whether it went as a delta; and, between steps, the round trip of the smallest
    // request (`ping`) to the same panel, as the baseline of what the workbench itself costs.
    // Short series unless the bench asked for the full ones (FULL_SERIES_FILE, written by
    // `scripts/run-integration-tests.mjs --bench`, which `npm run bench -- --workbench` runs): CI
    // and a plain integration run take SHORT_STEPS steps forward and as many back (to before the
    // first step) in each step series, and SHORT_PINGS pings alone, so every path runs (a whole
    // first step, deltas, steps back, the state before the first step, the pings, the CPU marks,
    // the result line) and every assertion is made, in a few seconds instead of about a minute a host.
    const SHORT_STEPS = 6;
    const SHORT_PINGS = 10;
    it('benchmark: every step of reused-partial (512 entries), command to rendered, forward then back', async function () {
      // Three series (pings alone, the steps back to back, the steps paced) take about a minute on a loaded machine.
      this.timeout(180_000);
      const full = await fullSeries();
      await run('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'never-flush' });
      // Run alone (--grep benchmark) the panel is new here: wait for its webview before timing.
      await api.panelReady();
      await api.settled();
      await run('kvmMmuLab.restart');
      await api.settled();
      // The baseline with nothing of ours in flight: pings alone, 20 ms apart (the pace of the
      // steps below), after the Restart has settled and a second has passed for the workbench to
      // finish drawing it. Each ping's start (ms from the first) is kept with its time, so that a
      // tail can be told periodic (a timer of the workbench) from random (docs/testing.md).
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // The runner reads the workbench's CPU time at each mark (scripts/run-integration-tests.mjs):
      // what the pings alone, then the steps, cost each process. A mark's line crosses the
      // workbench to the runner: the sleeps let it land before the series starts and let the last
      // step's drawing end before the series is closed.
      const mark = (name: string) => console.log(`kvm-mmu-lab-timing ${host} ${CPU_MARK} ${name}`);
      await sleep(1000);
      mark('alone-start');
      await sleep(300);
      const alone: number[] = [];
      const aloneSlow: [number, number][] = [];
      const aloneStart = performance.now();
      for (let i = 0; i < (full ? 100 : SHORT_PINGS); i++) {
        const at = performance.now() - aloneStart;
        const p = await api.pingPanel();
        if (p === undefined) break;
        alone.push(p);
        if (p > 30) aloneSlow.push([Math.round(at), Math.round(p)]);
        await sleep(20);
      }
      await sleep(300);
      mark(`alone-end ${alone.length}`);
      mark('steps-start');
      await sleep(300);
      // How far each step series goes: the whole walk, or SHORT_STEPS steps (then back to before the first).
      const total = full ? api.walk()!.total : Math.min(SHORT_STEPS, api.walk()!.total);
      const endToEnd: number[] = [];
      const render: number[] = [];
      const snapshot: number[] = [];
      const source: number[] = [];
      const reply: number[] = [];
      const bytes: number[] = [];
      const inMs: number[] = [];
      const check: number[] = [];
      const outMs: number[] = [];
      const ping: number[] = [];
      // The side-bar view, when an earlier test left it open: the step waits for its answer too.
      const side: number[] = [];
      let views = 0;
      const sent: Record<string, number> = {};
      // Slow steps (over 50 ms end to end) and slow pings after a step (over 30 ms): when (ms from
      // the first step), how long, and which, to tell a periodic tail from one that follows the work.
      const slow: [number, string, number][] = [];
      const seriesStart = performance.now();
      const editorsBefore = api.editorTimings.length;
      const step = async (command: string, expected: number) => {
        const before = api.timings.length;
        const t0 = performance.now();
        const at = await run<number>(command);
        endToEnd.push(performance.now() - t0);
        if (endToEnd[endToEnd.length - 1] > 50) slow.push([Math.round(t0 - seriesStart), `step ${expected}`, Math.round(endToEnd[endToEnd.length - 1])]);
        equal(at, expected, `${command} went to step ${at}`);
        const panel = api.timings.slice(before).find((t) => t.surface === 'panel' && t.index === expected);
        ok(panel, `the panel did not answer step ${expected} within ${command}`);
        render.push(panel.renderMs);
        snapshot.push(panel.snapshotMs);
        source.push(panel.sourceMs);
        reply.push(panel.replyMs);
        bytes.push(panel.messageBytes);
        inMs.push(panel.inMs);
        check.push(panel.checkMs);
        outMs.push(panel.outMs);
        views += api.timings.slice(before).length;
        sent[panel.sent] = (sent[panel.sent] ?? 0) + 1;
        const sideView = api.timings.slice(before).find((t) => t.surface === 'side' && t.index === expected);
        if (sideView) side.push(sideView.replyMs);
        // The baseline: the smallest request to the same panel, timed the same way, between steps.
        const pingAt = performance.now();
        const p = await api.pingPanel();
        if (p !== undefined) ping.push(p);
        if (p !== undefined && p > 30) slow.push([Math.round(pingAt - seriesStart), 'ping', Math.round(p)]);
      };
      for (let i = 0; i < total; i++) await step('kvmMmuLab.stepForward', i);
      for (let i = total - 2; i >= -1; i--) await step('kvmMmuLab.stepBack', i);
      await sleep(300);
      mark(`steps-end ${endToEnd.length}`);
      // The same steps again, each from a quiet workbench: 250 ms after the last one settled (a
      // click at a time, not a held key), and no ping between. The back-to-back series above is the
      // benchmark as it was, whose next step arrives while the renderer still draws the last one
      // (the editor's scroll and marks); this one is a step with that drawing over
      // (docs/testing.md, "What a step costs the workbench").
      const paced: number[] = [];
      const pacedReply: number[] = [];
      const pacedStep = async (command: string, expected: number) => {
        await sleep(250);
        const before = api.timings.length;
        const t0 = performance.now();
        const at = await run<number>(command);
        paced.push(performance.now() - t0);
        equal(at, expected, `${command} went to step ${at} (paced)`);
        const panel = api.timings.slice(before).find((t) => t.surface === 'panel' && t.index === expected);
        ok(panel, `the panel did not answer step ${expected} within ${command} (paced)`);
        pacedReply.push(panel.replyMs);
      };
      await run('kvmMmuLab.restart');
      await api.settled();
      mark('paced-start');
      for (let i = 0; i < total; i++) await pacedStep('kvmMmuLab.stepForward', i);
      for (let i = total - 2; i >= -1; i--) await pacedStep('kvmMmuLab.stepBack', i);
      await sleep(300);
      mark(`paced-end ${paced.length}`);
      const result = {
        scenario: 'reused-partial', variant: 'never-flush', entries: 512, series: full ? 'full' : 'short', steps: endToEnd.length,
        endToEnd: percentiles(endToEnd), webviewRender: percentiles(render), snapshot: percentiles(snapshot), editorBeside: percentiles(source), panelReply: percentiles(reply),
        replyIn: percentiles(inMs), webviewCheck: percentiles(check), replyOut: percentiles(outMs), pingReply: ping.length ? percentiles(ping) : null, pingAlone: alone.length ? percentiles(alone) : null, endToEndPaced: percentiles(paced), panelReplyPaced: percentiles(pacedReply), pingAloneSlow: aloneSlow, slow, sideReply: side.length ? percentiles(side) : null,
        messageBytes: { median: [...bytes].sort((a, b) => a - b)[bytes.length >> 1], max: Math.max(...bytes) }, viewsRenderedPerStep: views / endToEnd.length, sent,
        // The editor beside follows once stepping pauses (extension/walk.ts): how long its work took
        // each time it ran, over both series (editorBeside above is 0 then: not within a step).
        editorFollow: api.editorTimings.length > editorsBefore ? percentiles(api.editorTimings.slice(editorsBefore)) : null,
      };
      console.log(`kvm-mmu-lab-timing ${host} ${WORKBENCH_BENCH_TAG} ${JSON.stringify(result)}`);
    });

    // Paired A/B of when the editor beside follows the walk (docs/testing.md, "The editor once
    // stepping pauses"), in one workbench: A moves it within each step's command once the views
    // answered (as before), B once stepping has paused (the default), C the same with the status
    // bar (not the default). The benchmark's 108 steps (forward, then back) in 12 chunks of 9; the
    // chunks take turns A, B, C, and each pass starts one later in the turn (pass 0: A B C A..., pass
    // 1: B C A B..., pass 2: C A B C...), so that in three passes every chunk is walked in every mode
    // and the modes see the same minute's load. Each chunk starts from a settled workbench (300 ms);
    // its steps go back to back (a ping between, as the benchmark's) or paced (250 ms after each
    // settled). The workbench's CPU time of each chunk (marks). Runs only when asked
    // (`node scripts/run-integration-tests.mjs --editor-ab`: EDITOR_AB_FILE in the workspace).
    it('editor A/B: the benchmark\'s steps with the editor moved within each step (A), once stepping pauses (B), and the status bar with it (C)', async function () {
      if (!(await workspaceHas(EDITOR_AB_FILE))) this.skip();
      this.timeout(1_200_000);
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const mark = (name: string) => console.log(`kvm-mmu-lab-timing ${host} ${CPU_MARK} ${name}`);
      await run('kvmMmuLab.walkScenario', { scenario: 'reused-partial', variant: 'never-flush' });
      await api.panelReady();
      await api.settled();
      const total = api.walk()!.total;
      const IDLE = 80;
      const modes = { A: [0, false], B: [IDLE, false], C: [IDLE, true] } as const;
      const names = ['A', 'B', 'C'] as const;
      const plan: [string, number][] = [];
      for (let i = 0; i < total; i++) plan.push(['kvmMmuLab.stepForward', i]);
      for (let i = total - 2; i >= -1; i--) plan.push(['kvmMmuLab.stepBack', i]);
      const CHUNK = 9;
      const REPEATS = 2;
      type Samples = { endToEnd: number[]; reply: number[]; ping: number[]; editor: number[]; perStep: number[][] };
      const samples: Record<string, Samples> = {};
      for (const kind of ['backToBack', 'paced'] as const) {
        for (const m of names) samples[`${kind} ${m}`] = { endToEnd: [], reply: [], ping: [], editor: [], perStep: plan.map(() => []) };
        for (let pass = 0; pass < names.length * REPEATS; pass++) {
          api.setEditorIdle(0);
          await run('kvmMmuLab.restart');
          await api.settled();
          for (let c = 0; c * CHUNK < plan.length; c++) {
            const mode = names[(c + pass) % names.length];
            const [idle, statusToo] = modes[mode];
            await api.settled();
            api.setEditorIdle(idle, statusToo);
            await sleep(300);
            const into = samples[`${kind} ${mode}`];
            const editorsBefore = api.editorTimings.length;
            const chunk = plan.slice(c * CHUNK, (c + 1) * CHUNK);
            mark(`ab-${kind}-${mode}-${pass}-${c}-start`);
            for (const [k, [command, expected]] of chunk.entries()) {
              if (kind === 'paced') await sleep(250);
              const before = api.timings.length;
              const t0 = performance.now();
              const at = await run<number>(command);
              const ms = performance.now() - t0;
              equal(at, expected, `${command} went to step ${at} (${kind} ${mode})`);
              const panel = api.timings.slice(before).find((t) => t.surface === 'panel' && t.index === expected);
              ok(panel, `the panel did not answer step ${expected} within ${command} (${kind} ${mode})`);
              into.endToEnd.push(ms);
              into.reply.push(panel.replyMs);
              into.perStep[c * CHUNK + k].push(Math.round(ms));
              if (kind === 'backToBack') {
                const p = await api.pingPanel();
                if (p !== undefined) into.ping.push(p);
              }
            }
            // The editor's last move (B, C: after the pause) and its drawing belong to this chunk.
            await api.settled();
            await sleep(300);
            mark(`ab-${kind}-${mode}-${pass}-${c}-end ${chunk.length}`);
            into.editor.push(...api.editorTimings.slice(editorsBefore));
          }
        }
      }
      api.setEditorIdle(IDLE);
      const result = Object.fromEntries(Object.entries(samples).map(([k, x]) => [k, {
        endToEnd: percentiles(x.endToEnd), panelReply: percentiles(x.reply), pingReply: x.ping.length ? percentiles(x.ping) : null,
        editorFollows: x.editor.length, editorFollow: x.editor.length ? percentiles(x.editor) : null, perStep: x.perStep,
      }]));
      console.log(`kvm-mmu-lab-timing ${host} ${EDITOR_AB_TAG} ${JSON.stringify({ scenario: 'reused-partial', variant: 'never-flush', entries: 512, chunk: CHUNK, repeats: REPEATS, idleMs: IDLE, result })}`);
    });
  });
}
