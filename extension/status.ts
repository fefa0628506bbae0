// The status bar item of the walk in progress: scenario, variant, step, the verdict at this step and
// which source the editor beside the panel shows; its tooltip says what is open and how to point at a
// kernel tree. Hidden when there is no walk. Clicking it shows the panel.
import * as vscode from 'vscode';
import type { PanelSnapshot } from '../src/view/snapshot';
import type { SnapshotMessage } from '../src/view/protocol';
import type { WalkSession } from '../src/session/session';
import { COMMAND_OPEN_PANEL, COMMANDS } from './commands';
import { strings } from './strings';

type Source = SnapshotMessage['source'];

/** A piece of the tooltip: Markdown of ours, or text from the model, which the item escapes. */
export type TooltipPart = { markdown: string } | { text: string };

/** The item's text, colour and tooltip at a step. */
export interface StatusView {
  text: string;
  /** A theme colour id, or undefined for the normal background. */
  background: string | undefined;
  /** After strings.statusTooltip, in order. */
  tooltip: TooltipPart[];
}

/**
 * What the item says at this step: the verdict as the panel shows it (a violation so far, a hazard
 * open, or pass so far); the tooltip adds the open hazards, the whole run's verdict, the source
 * beside the panel and, unless it is the kernel tree, a link to locate one.
 */
export function statusView(s: WalkSession, snapshot: PanelSnapshot, source: Source): StatusView {
  const now = snapshot.now;
  const verdict = now === 'violation' ? strings.verdictViolation : now === 'hazard' ? strings.verdictHazard : strings.verdictPassSoFar;
  const tooltip: TooltipPart[] = snapshot.hazards.map((h) => ({ text: `\n\n${h.message}` }));
  tooltip.push({ markdown: `\n\n${strings.statusRun(s.walkthrough.violations.length)}` });
  // The label and location name the patch file beside the panel: a file's name is anyone's text.
  tooltip.push({ markdown: `\n\n${strings.statusSource(escapeMarkdown(source.label), escapeMarkdown(source.location))}` });
  if (source.note) tooltip.push({ text: `\n\n${source.note}` });
  if (source.kind === 'patch' || source.kind === 'listing') tooltip.push({ markdown: `\n\n[${strings.locateLink}](command:${COMMANDS.locate})` });
  return {
    text: strings.status(s.scenario.name, s.options.variant.name, s.index, s.total, verdict, source.label),
    background: now === 'pass' ? undefined : now === 'violation' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground',
    tooltip,
  };
}

/** Text set inside our Markdown: Markdown's punctuation escaped, as MarkdownString.appendText does. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-!~<>|]/g, '\\$&').replace(/\s+/g, ' ');
}

export class WalkStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kvmMmuLab.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = strings.statusName;
    this.item.command = COMMAND_OPEN_PANEL;
    this.item.tooltip = strings.statusTooltip;
  }

  /** What the item shows now: a part the same as before is not set again. */
  private shown: { text: string; background: string | undefined; tooltip: string } | undefined;

  /**
   * Shows the walk at a step. Each property set sends the whole item to the workbench (on the
   * next tick, once for all of them), whose renderer redraws what differs: so nothing is set when
   * the view is the one shown (a view refreshed at the same step), and the tooltip and the colour,
   * the same on most steps, only when they changed (docs/testing.md, "What a step costs the
   * workbench").
   */
  show(view: StatusView): void {
    const tooltip = JSON.stringify(view.tooltip);
    const was = this.shown;
    if (was && was.text === view.text && was.background === view.background && was.tooltip === tooltip) return;
    this.shown = { text: view.text, background: view.background, tooltip };
    if (was?.text !== view.text) this.item.text = view.text;
    if (!was || was.background !== view.background) this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    if (was?.tooltip !== tooltip) {
      const tip = new vscode.MarkdownString(strings.statusTooltip);
      for (const part of view.tooltip) {
        if ('text' in part) tip.appendText(part.text);
        else tip.appendMarkdown(part.markdown);
      }
      tip.isTrusted = { enabledCommands: [COMMANDS.locate] };
      this.item.tooltip = tip;
    }
    if (!was) this.item.show();
  }

  /** The text and the tooltip as Markdown now (the tests' API). */
  report(): { text: string; tooltip: string } {
    const tip = this.item.tooltip;
    return { text: this.item.text, tooltip: typeof tip === 'string' ? tip : (tip?.value ?? '') };
  }

  dispose(): void {
    this.item.dispose();
  }
}
