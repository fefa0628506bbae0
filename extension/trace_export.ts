// Export Trace: the walk's trace as an untitled document. The quick pick offers the brief plain
// text first (src/view/trace_brief.ts: what a maintainer pastes into a mail reply, so Enter gives
// it), then the full plain text (src/view/trace_text.ts, as `kvm-mmu-lab run` prints it) and
// Markdown (src/view/export.ts). A caller (a test, a keybinding's args) may name the format.
import * as vscode from 'vscode';
import type { Walkthrough } from '../src/run/walkthrough';
import { traceMarkdown, walkthroughTrace } from '../src/view/export';
import { traceBrief } from '../src/view/trace_brief';
import { traceText } from '../src/view/trace_text';
import { strings } from './strings';

export type TraceFormat = 'brief' | 'text' | 'markdown';

export const TRACE_FORMATS: readonly TraceFormat[] = ['brief', 'text', 'markdown'];

/** The quick pick's items, the default first. */
export function exportChoices(): Array<vscode.QuickPickItem & { format: TraceFormat }> {
  return [
    { label: strings.exportBrief, detail: strings.exportBriefDetail, format: 'brief' },
    { label: strings.exportText, detail: strings.exportTextDetail, format: 'text' },
    { label: strings.exportMarkdown, detail: strings.exportMarkdownDetail, format: 'markdown' },
  ];
}

/** Opens the trace in the format given, or picked; resolves with the document's URI, or undefined when none was picked. */
export async function exportTrace(walkthrough: Walkthrough, format?: TraceFormat): Promise<string | undefined> {
  let chosen = format;
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(exportChoices(), { placeHolder: strings.pickExport });
    chosen = pick?.format;
    if (!chosen) return undefined;
  }
  const trace = walkthroughTrace(walkthrough);
  const content = chosen === 'brief' ? traceBrief(trace) : chosen === 'text' ? traceText(trace) : traceMarkdown(trace);
  const doc = await vscode.workspace.openTextDocument({ content, language: chosen === 'markdown' ? 'markdown' : 'plaintext' });
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc.uri.toString();
}
