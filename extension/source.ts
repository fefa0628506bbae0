// Next to the source: the current step's statement revealed and highlighted in the user's kernel
// file (<kernel tree>/<anchor.file>), or in the model's own listing when there is no tree or the
// file is not in it; gutter marks for the steps already taken and for skipped flushes; a hover on
// those lines; CodeLens over the modelled functions of mmu.c.
import * as vscode from 'vscode';
import { ANCHORS } from '../src/mmu/anchors';
import { anchorKey, modelListing, type Listing } from '../src/view/listing';
import { describeSpte } from '../src/spte';
import type { Anchor, Step } from '../src/trace/types';
import type { SourceInfo } from '../media/protocol';
import { findFunction, locateAnchor, type Located } from './locate';
import type { WalkSession } from './session';
import { strings } from './strings';

export const LISTING_SCHEME = 'kvm-mmu-lab';
export const LISTING_URI = vscode.Uri.from({ scheme: LISTING_SCHEME, path: '/model-listing.c' });
export const MMU_C = 'arch/x86/kvm/mmu/mmu.c';

/** What the editor shows now, for the tests (ranges as [line, character, endLine, endCharacter]). */
export interface DecorationReport {
  uri: string;
  current: [number, number, number, number][];
  taken: number[];
  skipped: number[];
}

interface Placed {
  uri: vscode.Uri;
  kind: 'kernel' | 'listing';
  range: vscode.Range;
  how: Located['how'] | 'listing';
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

export class SourceView implements vscode.Disposable {
  private readonly listing: Listing = modelListing(strings.listingHeader);
  private readonly texts = new Map<string, string | null>();
  private readonly placed = new Map<string, Placed | null>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly current: vscode.TextEditorDecorationType;
  private readonly taken: vscode.TextEditorDecorationType;
  private readonly skipped: vscode.TextEditorDecorationType;
  private readonly changeLenses = new vscode.EventEmitter<void>();
  /** Lines of the shown document → the steps (up to the current one) anchored there. */
  private shownSteps = new Map<number, Step[]>();
  private shownUri: string | undefined;
  private session: WalkSession | undefined;
  report: DecorationReport | undefined;

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
    const listing = this.listing;
    this.disposables.push(
      this.current, this.taken, this.skipped, this.changeLenses,
      vscode.workspace.registerTextDocumentContentProvider(LISTING_SCHEME, { provideTextDocumentContent: () => listing.text }),
      vscode.languages.registerHoverProvider([{ scheme: LISTING_SCHEME }, { pattern: '**/*.{c,h}' }], { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.languages.registerCodeLensProvider({ pattern: `**/${MMU_C}` }, { provideCodeLenses: (doc) => this.lenses(doc), onDidChangeCodeLenses: this.changeLenses.event }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redecorate()),
      vscode.workspace.onDidChangeTextDocument((e) => this.forget(e.document.uri)),
    );
  }

  /** The kernel tree changed: read the files again. */
  reset(): void {
    this.texts.clear();
    this.placed.clear();
  }

  private forget(uri: vscode.Uri): void {
    if (uri.scheme === LISTING_SCHEME || !this.texts.has(uri.toString())) return;
    this.texts.delete(uri.toString());
    for (const key of [...this.placed.keys()]) if (key.startsWith(`${uri.toString()}\u0000`)) this.placed.delete(key);
  }

  private async text(uri: vscode.Uri): Promise<string | null> {
    const key = uri.toString();
    if (this.texts.has(key)) return this.texts.get(key)!;
    let text: string | null = null;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (open) text = open.getText();
    else {
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      } catch {
        text = null;
      }
    }
    this.texts.set(key, text);
    return text;
  }

  /** Where an anchor is shown: in the kernel tree when its file is there and holds the function, else in the listing. */
  private async place(anchor: Anchor): Promise<Placed | null> {
    const tree = kernelTreeUri(vscode.workspace.getConfiguration('kvmMmuLab').get<string>('kernelTree'));
    if (tree && !anchor.file.startsWith('(')) {
      const uri = vscode.Uri.joinPath(tree, anchor.file);
      const key = `${uri.toString()}\u0000${anchorKey(anchor)}`;
      if (!this.placed.has(key)) {
        const text = await this.text(uri);
        const at = text === null ? undefined : locateAnchor(text, anchor);
        this.placed.set(key, at ? { uri, kind: 'kernel', range: new vscode.Range(at.line, at.character, at.endLine, at.endCharacter), how: at.how } : null);
      }
      const found = this.placed.get(key);
      if (found) return found;
    }
    const line = this.listing.lines.get(anchorKey(anchor));
    if (line === undefined) return null;
    const length = this.listing.text.split('\n')[line].length;
    return { uri: LISTING_URI, kind: 'listing', range: new vscode.Range(line, 1, line, length), how: 'listing' };
  }

  /** Reveals and highlights the current step; says where, and why there. */
  async show(session: WalkSession, beside: vscode.ViewColumn | undefined): Promise<SourceInfo> {
    this.session = session;
    const step = session.step;
    const treeSetting = vscode.workspace.getConfiguration('kvmMmuLab').get<string>('kernelTree') ?? '';
    const tree = kernelTreeUri(treeSetting);
    if (!step) {
      this.clear();
      return { kind: tree ? 'kernel' : 'listing', location: '', note: tree ? strings.sourceBeforeFirst : strings.noKernelTree };
    }
    const at = await this.place(step.anchor);
    if (!at) {
      this.clear();
      return { kind: 'listing', location: '', note: strings.notInListing(step.anchor.fn) };
    }
    const document = at.kind === 'listing' ? await vscode.workspace.openTextDocument(LISTING_URI) : await vscode.workspace.openTextDocument(at.uri);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === at.uri.toString());
    const column = visible?.viewColumn ?? (beside === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, preserveFocus: true, preview: true });
    // Reveal the line from its first column: revealing the whole statement scrolls a narrow editor sideways.
    editor.revealRange(new vscode.Range(at.range.start.line, 0, at.range.start.line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    await this.decorate(editor, session, at);
    const where = at.kind === 'listing' ? `${strings.listingName}:${at.range.start.line + 1}` : `${step.anchor.file}:${at.range.start.line + 1}`;
    let note = '';
    if (at.kind === 'listing') note = tree ? strings.notInTree(step.anchor.file, treeSetting) : strings.noKernelTree;
    else if (at.how === 'function') note = strings.statementNotFound(step.anchor.fn);
    return { kind: at.kind, location: where, note };
  }

  private async decorate(editor: vscode.TextEditor, session: WalkSession, current: Placed): Promise<void> {
    const uri = editor.document.uri.toString();
    const steps = session.walkthrough.steps;
    const byLine = new Map<number, Step[]>();
    const skipped = new Set<number>();
    for (let i = 0; i <= session.index; i++) {
      const at = await this.place(steps[i].anchor);
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
    this.apply(editor);
  }

  private apply(editor: vscode.TextEditor): void {
    const r = this.report;
    if (!r || editor.document.uri.toString() !== r.uri) {
      editor.setDecorations(this.current, []);
      editor.setDecorations(this.taken, []);
      editor.setDecorations(this.skipped, []);
      return;
    }
    const line = (l: number) => new vscode.Range(l, 0, l, 0);
    editor.setDecorations(this.current, r.current.map(([a, b, c, d]) => new vscode.Range(a, b, c, d)));
    editor.setDecorations(this.taken, r.taken.map(line));
    // The skipped-flush note goes after the end of its line.
    const endOf = (l: number) => (l < editor.document.lineCount ? editor.document.lineAt(l).range.end : new vscode.Position(l, 0));
    editor.setDecorations(this.skipped, r.skipped.map((l) => new vscode.Range(endOf(l), endOf(l))));
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
    if (!this.session || document.uri.toString() !== this.shownUri) return undefined;
    const steps = this.shownSteps.get(position.line);
    if (!steps?.length) return undefined;
    const md = new vscode.MarkdownString();
    const last = steps[steps.length - 1];
    md.appendMarkdown(`**KVM MMU Lab — step ${last.index} (0–${this.session.total - 1})** · \`${last.anchor.fn}\` · ${last.opLabel}\n\n`);
    md.appendText(last.text);
    md.appendMarkdown('\n\n');
    const changed = changes(last, this.session.scenario.entries);
    if (changed.length) md.appendMarkdown(`${strings.hoverChanged}\n\n${changed.map((c) => `- ${c}`).join('\n')}\n\n`);
    else md.appendMarkdown(`${strings.hoverNoChange}\n\n`);
    if (steps.length > 1) md.appendMarkdown(strings.hoverEarlier(steps.slice(0, -1).map((s) => s.index)));
    return new vscode.Hover(md);
  }

  private lenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const text = document.getText();
    const fns = new Set((Object.values(ANCHORS) as Anchor[]).filter((a) => a.file === MMU_C).map((a) => a.fn));
    const out: vscode.CodeLens[] = [];
    for (const fn of fns) {
      const span = findFunction(text, fn);
      if (!span) continue;
      const line = document.positionAt(span.start).line;
      const range = new vscode.Range(line, 0, line, 0);
      out.push(
        new vscode.CodeLens(range, { title: strings.lensWalk, command: 'kvmMmuLab.walkHere', arguments: [fn], tooltip: strings.lensWalkTooltip(fn) }),
        new vscode.CodeLens(range, { title: strings.lensCompare, command: 'kvmMmuLab.compareVariants', tooltip: strings.lensCompareTooltip }),
      );
    }
    this.log.debug(`CodeLens: ${out.length / 2} modelled functions in ${document.uri.toString()}`);
    return out;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
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
