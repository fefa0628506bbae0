// Export Trace: the walk's whole trace as an untitled document, in plain text (src/view/trace_text.ts,
// fit for a mail reply) or Markdown (src/view/export.ts).
import * as vscode from 'vscode';
import type { Walkthrough } from '../src/run/walkthrough';
import { traceMarkdown, walkthroughTrace } from '../src/view/export';
import { traceText } from '../src/view/trace_text';
import { strings } from './strings';

export type TraceFormat = 'text' | 'markdown';

/** Opens the trace in the format given, or picked; resolves with the document's URI, or undefined when none was picked. */
export async function exportTrace(walkthrough: Walkthrough, format?: TraceFormat): Promise<string | undefined> {
  let chosen = format;
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: strings.exportText, detail: strings.exportTextDetail, format: 'text' as const },
        { label: strings.exportMarkdown, detail: strings.exportMarkdownDetail, format: 'markdown' as const },
      ],
      { placeHolder: strings.pickExport },
    );
    chosen = pick?.format;
    if (!chosen) return undefined;
  }
  const trace = walkthroughTrace(walkthrough);
  const content = chosen === 'text' ? traceText(trace) : traceMarkdown(trace);
  const doc = await vscode.workspace.openTextDocument({ content, language: chosen === 'text' ? 'plaintext' : 'markdown' });
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc.uri.toString();
}
