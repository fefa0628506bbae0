// Runs the suites with mocha inside the extension host and reports every result through console.log,
// which the workbench hands to the harness's codeAutomationLog (scripts/run-integration-tests.mjs).
// Lines starting with RESULT_PREFIX carry one JSON record each; the harness counts them.
import 'mocha/mocha.js'; // mocha's browser build: one self-contained file, fine in Node and in a worker
import * as vscode from 'vscode';

export const RESULT_PREFIX = 'kvm-mmu-lab-test ';

export interface TestRecord {
  state: 'passed' | 'failed' | 'skipped';
  title: string;
  error?: string;
}

export interface SummaryRecord {
  state: 'end';
  passed: number;
  failed: number;
  skipped: number;
}

function emit(record: TestRecord | SummaryRecord): void {
  console.log(RESULT_PREFIX + JSON.stringify(record));
}

class ResultReporter {
  constructor(runner: Mocha.Runner) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    runner.on('pass', (test: Mocha.Test) => {
      counts.passed++;
      emit({ state: 'passed', title: test.fullTitle() });
    });
    // Also fired for a failing hook, which then counts as one failure.
    runner.on('fail', (test: Mocha.Runnable, error: Error) => {
      counts.failed++;
      emit({ state: 'failed', title: test.fullTitle(), error: `${error?.message ?? error}\n${error?.stack ?? ''}` });
    });
    runner.on('pending', (test: Mocha.Test) => {
      counts.skipped++;
      emit({ state: 'skipped', title: test.fullTitle() });
    });
    runner.once('end', () => emit({ state: 'end', ...counts }));
  }
}

/** The file in the workspace that holds `--grep`'s text (scripts/run-integration-tests.mjs writes it). */
const GREP_FILE = 'kvm-mmu-lab-test-grep.txt';

/** The runner's --grep: only the tests whose full title contains it; '' (all) when there is no such file. */
async function grep(): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return '';
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, GREP_FILE))).trim();
  } catch {
    return '';
  }
}

/** Defines the suites (each a function that calls describe/it) and runs them; rejects on any failure. */
export async function runSuites(suites: readonly (() => void)[]): Promise<void> {
  mocha.setup({ ui: 'bdd', reporter: ResultReporter as unknown as Mocha.ReporterConstructor, timeout: 60_000 });
  const only = await grep();
  // A string: mocha escapes it and matches it anywhere in the full title.
  if (only) mocha.grep(only);
  for (const define of suites) define();
  return new Promise((resolve, reject) => {
    // mocha.run() of the browser build reads `location`, which the Node extension host lacks;
    // Mocha.prototype.run is the same run without that.
    Mocha.prototype.run.call(mocha, (failures: number) => {
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
