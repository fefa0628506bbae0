// The settings the lab reads (contributes.configuration in package.json), typed, each read when it
// is needed so that a change applies to the next use.
import * as vscode from 'vscode';
import type { FlushMode } from '../src/model/modes';
import type { RunOptions } from '../src/run/runner';
import type { Scenario } from '../src/scenario/types';
import type { JobLimits } from '../src/session/jobs';
import type { Variant } from '../src/kernel/variants';

export function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('kvmMmuLab');
}

/** A walk's run options from the settings: `flushMode` over kvmMmuLab.flushMode when the walk was started with one (the review's counterexample). */
export function walkRunOptions(scenario: Scenario, variant: Variant, flushMode: FlushMode | undefined): RunOptions {
  const setting = settings().get<string>('flushMode', 'scenario');
  const strength = settings().get<string>('checkStrength', 'both');
  return {
    variant,
    ...(flushMode ? { flushMode } : setting === 'bare-metal' || setting === 'range' ? { flushMode: setting as FlushMode } : { flushMode: scenario.flushMode }),
    splitYield: scenario.splitYield,
    checks: { permissions: strength !== 'unmapped' },
  };
}

/** The long jobs' limits, from kvmMmuLab.jobMemoryCapMiB as it is now (1024 MiB when it is not a positive number). */
export function jobLimits(): JobLimits {
  const mib = settings().get<number>('jobMemoryCapMiB', 1024);
  return { maxMemoryBytes: (Number.isFinite(mib) && mib > 0 ? mib : 1024) * 2 ** 20 };
}

/** Where a setting the lab writes goes: the workspace when there is one, else the user's settings. */
export function settingTarget(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}
