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
/** The setting's default, MiB. */
const JOB_MEMORY_CAP_MIB = 1024;

export function jobLimits(): JobLimits {
  const mib = settings().get<number>('jobMemoryCapMiB', JOB_MEMORY_CAP_MIB);
  return { maxMemoryBytes: (Number.isFinite(mib) && mib > 0 ? mib : JOB_MEMORY_CAP_MIB) * 2 ** 20 };
}

/**
 * The cap of the jobs on a workspace's input (off_thread.ts: a scenario parsed, a walk checked, the
 * small-scale comparison, a patch reviewed): the setting when it is larger than its default, else
 * the default. The setting is the long jobs' (the full-scale costs, the explorer): lowering it for
 * them must not refuse an ordinary scenario, whose state alone can be over a MiB.
 */
export function inputJobLimits(): JobLimits {
  return { maxMemoryBytes: Math.max(jobLimits().maxMemoryBytes, JOB_MEMORY_CAP_MIB * 2 ** 20) };
}

/** Where a setting the lab writes goes: the workspace when there is one, else the user's settings. */
export function settingTarget(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}
