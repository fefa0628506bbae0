// Next to the source: the current step's statement revealed and highlighted in the user's kernel
// tree (<kernel tree>/<file>, found by the core's anchoring, src/anchor/), else in the hunks of a
// patch open in the editor (src/anchor/hunks.ts), else in the model's own listing; gutter marks
// for the steps already taken and for skipped flushes; a hover on those lines; CodeLens over the
// modelled functions of mmu.c and paging_tmpl.h. A step anchored in paging_tmpl.h (the fault's
// descent, FNAME(fetch) and FNAME(page_fault)) opens that file beside the panel, as an mmu.c step
// opens mmu.c: placement goes by the file the core found the statement in. At a violation caused
// by a skipped flush, that flush (the culprit) is shown too, in an editor of its own beside the
// current step's, and stays marked after it.
import * as vscode from 'vscode';
import { anchorSources, type AnchorHow, type AnchorResult, type SourceFile } from '../src/anchor/anchor';
import { indexFunctions } from '../src/source/cfunc';
import { anchorInPatch, type PatchAnchor } from '../src/anchor/hunks';
import { FUNCTION_ALIASES } from '../src/source/names';
import { ANCHORS, anchorIdOf, anchorKey, type AnchorId } from '../src/kernel/anchors';
import { parsePatchInput } from '../src/patch/parse';
import { looksLikePatch, REVIEW_TREE_FILES } from '../src/patch/detect';
import { modelListing, type Listing } from '../src/view/listing';
import { describeSpte } from '../src/kernel/spte';
import type { Step } from '../src/model/step';
import type { Anchor } from '../src/kernel/anchors';
import type { SourceInfo } from '../src/view/protocol';
import type { WalkSession } from '../src/session/session';
import { FileRefusedError, READ_LIMITS, readBounded } from './read_bounded';
import { strings } from './strings';

export const LISTING_SCHEME = 'kvm-mmu-lab';
export const LISTING_URI = vscode.Uri.from({ scheme: LISTING_SCHEME, path: '/model-listing.c' });
export const MMU_C = 'arch/x86/kvm/mmu/mmu.c';
/** The guest walk and the fault's descent (FNAME(walk_addr_generic), FNAME(fetch), FNAME(page_fault)). */
export const PAGING_TMPL_H = 'arch/x86/kvm/mmu/paging_tmpl.h';
/** The files that get CodeLens over their modelled functions: the shadow MMU's own two. */
const LENS_FILES = [MMU_C, PAGING_TMPL_H];
/** Files read as patches by their name; any other text editor counts when its text parses as one. */
const PATCH_NAME = /\.(patch|diff|mbox|mbx|eml)$/i;

/** What the editor shows now, for the tests (ranges as [line, character, endLine, endCharacter]). */
export interface DecorationReport {
  uri: string;
  current: [number, number, number, number][];
  taken: number[];
  skipped: number[];
  /** The skipped flush behind the latest violation so far, where it is marked (any document), and the text after its line. */
  culprit?: { uri: string; line: number; step: number; violationStep: number; text: string };
}

interface Placed {
  uri: vscode.Uri;
  kind: Exclude<SourceInfo['kind'], 'debugger'>;
  range: vscode.Range;
  /** How the core found it; 'function': the function is there, not the statement; 'listing': the model's listing. */
  how: AnchorHow | 'function' | 'listing';
  /** The core's note (renamed, moved, fuzzy) or reason (why only the function). */
  note?: string;
  /** For the kernel tree: the file's path in the tree (a step may be found moved to another file). */
  file?: string;
}

/** The kernel tree's files that hold modelled steps (those that could be read), anchored once. */
interface TreeIndex {
  key: string;
  lines: Map<string, string[]>;
  results: Map<AnchorId, AnchorResult>;
}

/** A patch open in the editor, anchored once per version of its text. */
export interface PatchIndex {
  uri: vscode.Uri;
  /** Its name as the panel says it ("patches/seed.patch"). */
  name: string;
  lines: string[];
  anchors: Map<AnchorId, PatchAnchor>;
}

/** The kernel tree from the setting: an absolute path, a path relative to the first workspace folder, or a URI. */
export function kernelTreeUri(setting: string | undefined): vscode.Uri | undefined {
  const value = (setting ?? '').trim();
  if (!value) return undefined;
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(value)) return vscode.Uri.parse(value);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (value.startsWith('/')) return folder ? folder.with({ path: value }) : vscode.Uri.file(value);
  return folder ? vscode.Uri.joinPath(folder, value) : undefined;
}

/** The range of lines [line, endLine] (0-based) from the first non-blank character to the end of the text. */
function linesRange(lines: readonly string[] | undefined, line: number, endLine = line): vscode.Range {
  const first = lines?.[line] ?? '';
  const last = (lines?.[endLine] ?? '').replace(/\s+$/, '');
  return new vscode.Range(line, first.length - first.trimStart().length, endLine, last.length);
}

export class SourceView implements vscode.Disposable {
  private readonly listing: Listing = modelListing(strings.listingHeader);
  private readonly listingLines = this.listing.text.split('\n');
  private readonly texts = new Map<string, string | null>();
  private tree: Promise<TreeIndex> | undefined;
  private treeKey = '';
  private readonly patches = new Map<string, PatchIndex | null>();
  /** The patch the last step was shown with: preferred while it is still open in a tab. */
  private lastPatch: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly current: vscode.TextEditorDecorationType;
  private readonly taken: vscode.TextEditorDecorationType;
  private readonly skipped: vscode.TextEditorDecorationType;
  private readonly culpritMark: vscode.TextEditorDecorationType;
  /** The violation the culprit explains, for the hover on the culprit's line. */
  private culpritMessage = '';
  private readonly changeLenses = new vscode.EventEmitter<void>();
  /** Lines of the shown document → the steps (up to the current one) anchored there. */
  private shownSteps = new Map<number, Step[]>();
  private shownUri: string | undefined;
  private session: WalkSession | undefined;
  report: DecorationReport | undefined;
  /**
   * What each visible editor was last given, per decoration type (the ranges as JSON): a set with
   * the same ranges is not sent again. Each set is a message to the workbench and a redraw of the
   * editor on the renderer's thread, the thread that also carries the panel's messages, and most
   * of a step's sets are unchanged (the taken, skipped and culprit marks change on few steps):
   * docs/testing.md, "What a step costs the workbench". An editor's entry goes when it is no longer
   * visible (shown again, it is a new TextEditor) and when its document's text changes (the
   * workbench moves decorations with edits, so what it holds is no longer what was sent).
   */
  private readonly applied = new Map<vscode.TextEditor, Map<vscode.TextEditorDecorationType, string>>();

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const icon = (name: string) => vscode.Uri.joinPath(extensionUri, 'media', name);
    this.current = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
      borderColor: new vscode.ThemeColor('focusBorder'),
      border: '1px solid',
      gutterIconPath: icon('gutter-current.svg'),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Full,
    });
    this.taken = vscode.window.createTextEditorDecorationType({
      gutterIconPath: icon('gutter-taken.svg'),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.infoForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
    });
    this.skipped = vscode.window.createTextEditorDecorationType({
      gutterIconPath: icon('gutter-skipped.svg'),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.warningForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      after: { contentText: `  ${strings.skippedFlushMark}`, color: new vscode.ThemeColor('editorWarning.foreground'), fontStyle: 'italic' },
    });
    // The culprit: the whole line framed in the warning colour, its gutter and ruler marked as a
    // skipped flush; the text after it (per range) says which step and which violation.
    this.culpritMark = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      borderColor: new vscode.ThemeColor('editorWarning.foreground'),
      border: '1px dashed',
      gutterIconPath: icon('gutter-skipped.svg'),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.warningForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Full,
      after: { color: new vscode.ThemeColor('editorWarning.foreground'), fontStyle: 'italic' },
    });
    const listing = this.listing;
    this.disposables.push(
      this.current, this.taken, this.skipped, this.culpritMark, this.changeLenses,
      vscode.workspace.registerTextDocumentContentProvider(LISTING_SCHEME, { provideTextDocumentContent: () => listing.text }),
      vscode.languages.registerHoverProvider([{ scheme: LISTING_SCHEME }, { pattern: '**/*.{c,h,patch,diff,mbox,mbx,eml,txt}' }, { scheme: 'untitled' }], { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.languages.registerCodeLensProvider(LENS_FILES.map((f) => ({ pattern: `**/${f}` })), { provideCodeLenses: (doc) => this.lenses(doc), onDidChangeCodeLenses: this.changeLenses.event }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const e of [...this.applied.keys()]) if (!editors.includes(e)) this.applied.delete(e);
        this.redecorate();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        for (const editor of [...this.applied.keys()]) if (editor.document === e.document) this.applied.delete(editor);
        this.forget(e.document.uri);
      }),
    );
  }

  /** The kernel tree changed: read the files again. */
  reset(): void {
    this.texts.clear();
    this.tree = undefined;
    this.patches.clear();
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    if (uri.scheme === LISTING_SCHEME || !this.texts.has(key)) return;
    this.texts.delete(key);
    this.patches.delete(key);
    if (this.treeKey && key.startsWith(this.treeKey)) this.tree = undefined;
  }

  /**
   * The text of a document open in the editor, else of the file if it is a regular one under
   * `limit` bytes (read_bounded.ts); null when it cannot be read or is refused (the log says why,
   * and `warn` shows a refusal to the user too). The core parses and anchors it on this thread.
   */
  private async text(uri: vscode.Uri, limit: number, warn = false): Promise<string | null> {
    const key = uri.toString();
    if (this.texts.has(key)) return this.texts.get(key)!;
    let text: string | null = null;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (open) {
      text = open.getText();
      // Characters, not bytes: at least as many bytes, so the refusal is never wrong.
      if (text.length > limit) text = this.refuse(strings.fileTooLarge(vscode.workspace.asRelativePath(uri), text.length, limit), warn);
    } else {
      try {
        text = await readBounded(uri, limit);
      } catch (error) {
        text = error instanceof FileRefusedError ? this.refuse(error.message, warn) : null;
      }
    }
    this.texts.set(key, text);
    return text;
  }

  private refuse(message: string, warn: boolean): null {
    this.log.warn(message);
    if (warn) void vscode.window.showWarningMessage(message);
    return null;
  }

  /** Every modelled file of the tree that can be read, anchored by the core in one pass. */
  private treeIndex(tree: vscode.Uri): Promise<TreeIndex> {
    const key = `${tree.toString().replace(/\/$/, '')}/`;
    if (this.tree && this.treeKey === key) return this.tree;
    this.treeKey = key;
    this.tree = (async () => {
      const files: SourceFile[] = [];
      for (const rel of REVIEW_TREE_FILES) {
        const text = await this.text(vscode.Uri.joinPath(tree, rel), READ_LIMITS.treeFile, true);
        if (text !== null) files.push({ path: rel, text });
      }
      const results = new Map(anchorSources(files).map((r) => [r.id, r] as const));
      this.log.info(`kernel tree ${tree.toString()}: ${files.map((f) => f.path).join(', ') || 'no modelled file'} read; ${[...results.values()].filter((r) => r.found).length} of ${results.size} steps anchored`);
      return { key, lines: new Map(files.map((f) => [f.path, f.text.split('\n')])), results };
    })();
    return this.tree;
  }

  /**
   * The patch to show steps in when the kernel tree does not hold them: the active editor's, a
   * visible one's, the one used last, or any other open tab's, in that order. A document counts
   * when its name says patch (.patch, .diff, .mbox, .mbx, .eml), or, for a document already open,
   * when its text looks like one; either way it must parse into at least one hunk.
   */
  async currentPatch(): Promise<PatchIndex | undefined> {
    const uris = new Map<string, vscode.Uri>();
    const add = (u: vscode.Uri | undefined) => { if (u && u.scheme !== LISTING_SCHEME && !uris.has(u.toString())) uris.set(u.toString(), u); };
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => (t.input instanceof vscode.TabInputText ? t.input.uri : undefined)).filter((u): u is vscode.Uri => u !== undefined);
    add(vscode.window.activeTextEditor?.document.uri);
    for (const e of vscode.window.visibleTextEditors) add(e.document.uri);
    const last = tabs.find((u) => u.toString() === this.lastPatch);
    add(last);
    for (const u of tabs) add(u);
    for (const [key, uri] of uris) {
      if (!this.patches.has(key)) this.patches.set(key, await this.readPatchOrNull(uri));
      const p = this.patches.get(key);
      if (p) return p;
    }
    return undefined;
  }

  /**
   * The tab's patch, or null when it is none; a tab whose reading or parsing throws (a body that
   * does not decode, say) counts as none, is remembered as such until its text changes, and says so
   * in the log: one bad tab must not stop every later step from rendering.
   */
  private async readPatchOrNull(uri: vscode.Uri): Promise<PatchIndex | null> {
    try {
      return await this.readPatch(uri);
    } catch (error) {
      this.log.warn(`patch ${uri.toString()} is not used to show the steps: ${(error as Error).message ?? String(error)}`);
      return null;
    }
  }

  private async readPatch(uri: vscode.Uri): Promise<PatchIndex | null> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!PATCH_NAME.test(uri.path) && !(open && looksLikePatch(open.getText()))) return null;
    const text = await this.text(uri, READ_LIMITS.patchTab);
    if (text === null) return null;
    const name = uri.scheme === 'untitled' ? uri.path : vscode.workspace.asRelativePath(uri);
    const input = parsePatchInput(text, name);
    if (!input.patches.some((p) => p.files.some((f) => f.hunks.length))) return null;
    const anchors = anchorInPatch(input);
    this.log.info(`patch ${name}: ${[...anchors.values()].filter((a) => a.found).length} modelled steps found in its hunks`);
    return { uri, name, lines: text.split('\n').map((l) => l.replace(/\r$/, '')), anchors };
  }

  /** Where an anchor is shown: in the kernel tree when it holds the step, else in the patch's hunks, else in the listing. */
  private async place(anchor: Anchor, patch: PatchIndex | undefined): Promise<Placed | null> {
    const id = anchorIdOf(anchor);
    const tree = kernelTreeUri(vscode.workspace.getConfiguration('kvmMmuLab').get<string>('kernelTree'));
    if (tree && id) {
      const t = await this.treeIndex(tree);
      const r = t.results.get(id);
      if (r?.found) return { uri: vscode.Uri.joinPath(tree, r.file), kind: 'kernel', file: r.file, range: linesRange(t.lines.get(r.file), r.line - 1, r.endLine - 1), how: r.how, ...(r.note ? { note: r.note } : {}) };
      if (r && r.functionLine !== undefined && t.lines.has(anchor.file)) return { uri: vscode.Uri.joinPath(tree, anchor.file), kind: 'kernel', file: anchor.file, range: linesRange(t.lines.get(anchor.file), r.functionLine - 1), how: 'function', note: r.reason };
    }
    const inPatch = patch && id ? patch.anchors.get(id) : undefined;
    if (patch && inPatch?.found) return { uri: patch.uri, kind: 'patch', range: linesRange(patch.lines, inPatch.inputLine - 1, inPatch.endInputLine - 1), how: inPatch.how, ...(inPatch.note ? { note: inPatch.note } : {}) };
    if (patch && inPatch && !inPatch.found && inPatch.functionInputLine !== undefined) return { uri: patch.uri, kind: 'patch', range: linesRange(patch.lines, inPatch.functionInputLine - 1), how: 'function', note: inPatch.reason };
    const line = this.listing.lines.get(anchorKey(anchor));
    if (line === undefined) return null;
    return { uri: LISTING_URI, kind: 'listing', range: new vscode.Range(line, 1, line, this.listingLines[line].length), how: 'listing' };
  }

  /** Reveals and highlights the current step; says where, and why there. */
  async show(session: WalkSession, beside: vscode.ViewColumn | undefined): Promise<SourceInfo> {
    const shown = await this.prepare(session, beside);
    await shown.follow();
    return shown.info;
  }

  /**
   * The current step placed (which document, which line, and what the panel says about it), and
   * the editor work that follows it, apart: the walk sends the panel its snapshot with `info` and
   * runs `follow` meanwhile, so a step costs the longer of the two round trips, not their sum.
   * Placing needs no editor (the tree, the patch and the listing are read and anchored once).
   */
  async prepare(session: WalkSession, beside: vscode.ViewColumn | undefined): Promise<{ info: SourceInfo; follow: () => Promise<void> }> {
    this.session = session;
    const step = session.step;
    const treeSetting = vscode.workspace.getConfiguration('kvmMmuLab').get<string>('kernelTree') ?? '';
    const tree = kernelTreeUri(treeSetting);
    const patch = await this.currentPatch();
    // Where the step is shown nowhere, following it is taking the marks away: done by `follow`
    // too, so that the walk can run it when it runs the editor's other work (after the views, or
    // once stepping pauses: extension/walk.ts), in order with it.
    const clear = () => {
      this.clear();
      return Promise.resolve();
    };
    // How to point at a kernel tree, said whenever a step is not shown in one.
    const hint = tree ? strings.notInTreeHint(treeSetting) : strings.noKernelTreeHint;
    if (!step) {
      if (tree) return { info: { kind: 'kernel', label: strings.sourceKernel, location: '', note: strings.sourceBeforeFirst }, follow: clear };
      if (patch) return { info: { kind: 'patch', label: strings.sourcePatch(patch.name), location: '', note: `${strings.patchBeforeFirst(patch.name)} ${hint}` }, follow: clear };
      return { info: { kind: 'listing', label: strings.sourceListing, location: '', note: strings.noKernelTree }, follow: clear };
    }
    const at = await this.place(step.anchor, patch);
    if (!at) {
      return { info: { kind: 'listing', label: strings.sourceListing, location: '', note: strings.notInListing(step.anchor.fn) }, follow: clear };
    }
    if (patch && at.kind !== 'kernel') this.lastPatch = patch.uri.toString();
    return { info: this.sourceInfo(step, at, patch, tree, treeSetting, hint), follow: () => this.follow(session, at, patch, beside) };
  }

  /** What the panel and the status bar say about where the step is shown, and why there. */
  private sourceInfo(step: Step, at: Placed, patch: PatchIndex | undefined, tree: vscode.Uri | undefined, treeSetting: string, hint: string): SourceInfo {
    const line = at.range.start.line + 1;
    const fn = step.anchor.fn;
    switch (at.kind) {
      case 'kernel': {
        const where = `${at.file ?? step.anchor.file}:${line}`;
        const note = at.how === 'function' ? strings.statementNotFound(fn, at.note ?? '') : at.how === 'exact' ? '' : strings.anchoredAs(at.how, at.note ?? '');
        return { kind: 'kernel', label: strings.sourceKernel, location: where, note };
      }
      case 'patch': {
        const found = at.how === 'function' ? strings.patchFunctionOnly(fn, patch!.name) : strings.patchShown(patch!.name, fn) + (at.how === 'exact' ? '' : ` ${strings.anchoredAs(at.how, at.note ?? '')}`);
        return { kind: 'patch', label: strings.sourcePatch(patch!.name), location: `${patch!.name}:${line}`, note: `${found} ${hint}` };
      }
      case 'listing': {
        const why = step.anchor.file.startsWith('(') && (patch || !tree) ? `${strings.hardwareStep(fn)} ${hint}`
          : patch ? `${strings.notInPatch(fn, patch.name)} ${hint}` : tree ? strings.notInTree(step.anchor.file, treeSetting) : strings.noKernelTree;
        return { kind: 'listing', label: strings.sourceListing, location: `${strings.listingName}:${line}`, note: why };
      }
    }
  }

  /**
   * The editor beside follows the step: the document shown (only when no visible editor shows it
   * already: re-showing a visible document is a round trip to the workbench that changes nothing),
   * the line revealed, the decorations set, the culprit shown at its violation.
   */
  private async follow(session: WalkSession, at: Placed, patch: PatchIndex | undefined, beside: vscode.ViewColumn | undefined): Promise<void> {
    const key = at.uri.toString();
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
    if (!editor) {
      const document = await vscode.workspace.openTextDocument(at.uri);
      const column = beside === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      // Not as a preview while a patch is in use: a preview would replace the patch's own preview tab.
      editor = await vscode.window.showTextDocument(document, { viewColumn: column, preserveFocus: true, preview: !patch });
    }
    // Reveal the line from its first column: revealing the whole statement scrolls a narrow editor
    // sideways. Not when the line is in view already (most steps stay in one function): reveal
    // would not scroll then, and the request is one more message on the renderer's thread.
    const line = at.range.start.line;
    if (!editor.visibleRanges.some((r) => r.start.line <= line && line <= r.end.line)) editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    await this.decorate(editor, session, at, patch);
    await this.showCulprit(session, patch, editor, at, beside, !patch);
  }

  private async decorate(editor: vscode.TextEditor, session: WalkSession, current: Placed, patch: PatchIndex | undefined): Promise<void> {
    const uri = editor.document.uri.toString();
    const steps = session.walkthrough.steps;
    const byLine = new Map<number, Step[]>();
    const skipped = new Set<number>();
    for (let i = 0; i <= session.index; i++) {
      const at = await this.place(steps[i].anchor, patch);
      if (!at || at.uri.toString() !== uri) continue;
      const line = at.range.start.line;
      byLine.set(line, [...(byLine.get(line) ?? []), steps[i]]);
      if (steps[i].kind === 'flush-skipped') skipped.add(line);
    }
    const currentLine = current.range.start.line;
    const taken = [...byLine.keys()].filter((l) => l !== currentLine && !skipped.has(l)).sort((a, b) => a - b);
    this.shownSteps = byLine;
    this.shownUri = uri;
    this.report = {
      uri,
      current: [[current.range.start.line, current.range.start.character, current.range.end.line, current.range.end.character]],
      taken,
      skipped: [...skipped].sort((a, b) => a - b),
    };
    // Every visible editor: one that showed the culprit before this step may have to lose its mark.
    this.redecorate();
  }

  /**
   * The culprit of the latest violation so far that names a skipped flush: placed like any step
   * (kernel tree, patch hunks, listing), marked wherever it is, and, at the violation's own step,
   * shown in an editor of its own next to the current step's (the same document in a second group
   * when both are in one file), so that the stopping point and its cause are on screen together.
   */
  private async showCulprit(session: WalkSession, patch: PatchIndex | undefined, currentEditor: vscode.TextEditor, current: Placed, panelColumn: vscode.ViewColumn | undefined, preview: boolean): Promise<void> {
    const c = session.culprit();
    if (!c || !this.report) return;
    const at = await this.place(session.walkthrough.steps[c.skippedFlush].anchor, patch);
    if (!at) return;
    const uri = at.uri.toString();
    const line = at.range.start.line;
    this.report.culprit = { uri, line, step: c.skippedFlush, violationStep: c.violation.step, text: strings.culpritMark(c.skippedFlush, c.violation.step) };
    this.culpritMessage = c.violation.message;
    const sameLine = uri === current.uri.toString() && line === current.range.start.line;
    if (c.here && !sameLine) {
      const currentColumn = currentEditor.viewColumn ?? vscode.ViewColumn.One;
      const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri && e.viewColumn !== undefined && e.viewColumn !== currentColumn);
      const column = shown?.viewColumn ?? (await groupBelow(currentColumn)) ?? freeColumn([currentColumn, panelColumn]);
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(at.uri), { viewColumn: column, preserveFocus: true, preview });
      editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      // A new group below halves the current step's editor: bring its line back into view.
      const stepLine = current.range.start.line;
      currentEditor.revealRange(new vscode.Range(stepLine, 0, stepLine, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    this.redecorate();
  }

  /** Sets one decoration type on one editor, unless it holds these very ranges already (`applied`). */
  private set(editor: vscode.TextEditor, type: vscode.TextEditorDecorationType, ranges: readonly vscode.Range[] | readonly vscode.DecorationOptions[]): void {
    const key = JSON.stringify(ranges);
    let held = this.applied.get(editor);
    if (!held) this.applied.set(editor, (held = new Map()));
    if (held.get(type) === key) return;
    held.set(type, key);
    editor.setDecorations(type, ranges);
  }

  private apply(editor: vscode.TextEditor): void {
    const r = this.report;
    const c = r?.culprit;
    const here = editor.document.uri.toString();
    this.set(editor, this.culpritMark, c && c.uri === here ? [{ range: new vscode.Range(c.line, 0, c.line, 0), renderOptions: { after: { contentText: `  ${c.text}` } } }] : []);
    if (!r || here !== r.uri) {
      this.set(editor, this.current, []);
      this.set(editor, this.taken, []);
      this.set(editor, this.skipped, []);
      return;
    }
    const line = (l: number) => new vscode.Range(l, 0, l, 0);
    this.set(editor, this.current, r.current.map(([a, b, c, d]) => new vscode.Range(a, b, c, d)));
    this.set(editor, this.taken, r.taken.map(line));
    // The skipped-flush note goes after the end of its line.
    const endOf = (l: number) => (l < editor.document.lineCount ? editor.document.lineAt(l).range.end : new vscode.Position(l, 0));
    // The culprit's own mark says more on its line than the skipped-flush note.
    const culpritLine = c && c.uri === r.uri ? c.line : -1;
    this.set(editor, this.skipped, r.skipped.filter((l) => l !== culpritLine).map((l) => new vscode.Range(endOf(l), endOf(l))));
  }

  private redecorate(): void {
    for (const editor of vscode.window.visibleTextEditors) this.apply(editor);
  }

  /** The walk ended: no highlights anywhere. */
  clear(): void {
    this.report = undefined;
    this.shownSteps.clear();
    this.shownUri = undefined;
    this.redecorate();
  }

  stop(): void {
    this.session = undefined;
    this.clear();
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!this.session) return undefined;
    const c = this.report?.culprit;
    const onCulprit = c !== undefined && c.uri === document.uri.toString() && c.line === position.line;
    const steps = document.uri.toString() === this.shownUri ? this.shownSteps.get(position.line) : undefined;
    if (!steps?.length && !onCulprit) return undefined;
    const md = new vscode.MarkdownString();
    if (onCulprit) {
      md.appendMarkdown(`**${strings.culpritHover(c.step, c.violationStep)}**\n\n`);
      md.appendText(this.culpritMessage);
      md.appendMarkdown('\n\n');
    }
    if (steps?.length) appendStepsHover(md, steps, this.session.total, this.session.scenario.entries);
    return new vscode.Hover(md);
  }

  private lenses(document: vscode.TextDocument): vscode.CodeLens[] {
    // The modelled functions of this file (mmu.c or paging_tmpl.h), by their own name or a known
    // other name (src/source/names.ts).
    const file = LENS_FILES.find((f) => document.uri.path.endsWith(`/${f}`));
    if (!file) return [];
    const model = new Map<string, string>();
    for (const a of Object.values(ANCHORS) as Anchor[]) {
      if (a.file !== file) continue;
      model.set(a.fn, a.fn);
      for (const alias of FUNCTION_ALIASES[a.fn] ?? []) if (!model.has(alias.name)) model.set(alias.name, a.fn);
    }
    const out: vscode.CodeLens[] = [];
    const seen = new Set<string>();
    const text = document.getText();
    // Indexed on the host's thread at every change: not a file over the tree files' limit.
    if (text.length > READ_LIMITS.treeFile) {
      this.log.warn(`CodeLens: ${strings.fileTooLarge(vscode.workspace.asRelativePath(document.uri), text.length, READ_LIMITS.treeFile)}`);
      return out;
    }
    for (const span of indexFunctions(text.split('\n'))) {
      const fn = model.get(span.name);
      if (!fn || seen.has(fn)) continue;
      seen.add(fn);
      const range = new vscode.Range(span.start - 1, 0, span.start - 1, 0);
      out.push(
        new vscode.CodeLens(range, { title: file === PAGING_TMPL_H ? strings.lensWalkFault : strings.lensWalk, command: 'kvmMmuLab.walkHere', arguments: [fn], tooltip: strings.lensWalkTooltip(fn) }),
        new vscode.CodeLens(range, { title: strings.lensDebug, command: 'kvmMmuLab.debugHere', arguments: [fn], tooltip: strings.lensDebugTooltip(fn) }),
        new vscode.CodeLens(range, { title: strings.lensCompare, command: 'kvmMmuLab.compareVariants', tooltip: strings.lensCompareTooltip }),
      );
    }
    this.log.debug(`CodeLens: ${out.length / 3} modelled functions in ${document.uri.toString()}`);
    return out;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** vscode.getEditorLayout's answer (VS Code's EditorGroupLayout): a tree of groups, leaves in column order. */
interface EditorLayout {
  orientation: 0 | 1;
  groups: { size?: number; groups?: unknown[] }[];
}

/**
 * A new editor group below the current step's, when that group is the last of one row of groups
 * (the usual panel | editor): the panel keeps its width, and the new group is the next column.
 * setEditorLayout hands the existing groups, in order, to the new layout's leaves, so only a new
 * last leaf leaves every editor where it was; any other layout gets undefined (a column of its own).
 */
async function groupBelow(current: vscode.ViewColumn): Promise<vscode.ViewColumn | undefined> {
  try {
    const layout = await vscode.commands.executeCommand<EditorLayout | undefined>('vscode.getEditorLayout');
    const groups = layout?.groups ?? [];
    if (!layout || layout.orientation !== 0 || groups.length !== current || groups.some((g) => g.groups?.length)) return undefined;
    const last = groups[groups.length - 1];
    await vscode.commands.executeCommand('vscode.setEditorLayout', { orientation: 0, groups: [...groups.slice(0, -1), { ...(last.size !== undefined ? { size: last.size } : {}), groups: [{}, {}] }] });
    return current + 1;
  } catch {
    return undefined;
  }
}

/** The first editor column that is neither of these (the current step's, the panel's). */
function freeColumn(taken: readonly (vscode.ViewColumn | undefined)[]): vscode.ViewColumn {
  let column = vscode.ViewColumn.One;
  while (taken.includes(column)) column++;
  return column;
}

/**
 * The hover of a line where these steps were taken (the last is the one described). Our own words
 * go in as Markdown; everything from the model goes in through appendText, which escapes it: a
 * step's text, its changes and its operation's label carry names from the scenario file (a root's
 * name is any string, and "[x](https://…)" or "![](https://…)" in one would otherwise be a link or
 * an image fetched on hover).
 */
export function appendStepsHover(md: vscode.MarkdownString, steps: readonly Step[], total: number, entries: number): void {
  const last = steps[steps.length - 1];
  md.appendMarkdown(`**KVM MMU Lab — step ${last.index} (0–${total - 1})** · \`${last.anchor.fn}\` · `);
  md.appendText(last.opLabel);
  md.appendMarkdown('\n\n');
  md.appendText(last.text);
  md.appendMarkdown('\n\n');
  const changed = changes(last, entries);
  if (changed.length) {
    md.appendMarkdown(`${strings.hoverChanged}\n\n`);
    for (const c of changed) {
      md.appendMarkdown('- ');
      md.appendText(c.replace(/\s+/g, ' '));
      md.appendMarkdown('\n');
    }
    md.appendMarkdown('\n');
  } else md.appendMarkdown(`${strings.hoverNoChange}\n\n`);
  if (steps.length > 1) md.appendMarkdown(strings.hoverEarlier(steps.slice(0, -1).map((s) => s.index)));
}

/** What a step changed, in kernel terms, for the hover. */
export function changes(step: Step, entries: number): string[] {
  const size = (l: number) => (entries === 512 ? ['', '4K', '2M', '1G', '512G'][l] : `L${l}`);
  const out: string[] = [];
  for (const w of step.writes.slice(0, 3)) out.push(`sp#${w.sp}[${w.index}]: ${describeSpte(w.oldFlags, w.oldTarget, w.level, size)} → ${describeSpte(w.newFlags, w.newTarget, w.level, size)}`);
  if (step.writeCount > 3) out.push(`${step.writeCount - Math.min(3, step.writes.length)} more SPTE writes (${step.writeCount} in all)`);
  if (step.flush) out.push(`${step.flush.issued ? 'flush issued' : 'flush SKIPPED'}: ${step.flush.call}${step.flush.removed.length ? `, removed ${step.flush.removed.join(', ')}` : ''}${step.flush.reason ? ` (${step.flush.reason})` : ''}`);
  if (step.tlbFilled) out.push(`TLB filled: ${step.tlbFilled}`);
  if (step.childSp) out.push(`child SP sp#${step.childSp.id}, ${step.childSp.reused ? 'REUSED from the hash' : 'new'}`);
  for (const v of step.violations) out.push(`VIOLATION ${v.kind}: ${v.message}`);
  return out;
}
