// Integration tests inside a real VS Code: code-server's Node extension host and its web-worker
// extension host, one after the other, each with a fresh code-server. The tests (test/integration,
// bundled to out/test/integration/<host>.js) run as the workbench's extensionTestsPath; every result
// comes back through the smoke-test driver's codeAutomationLog and is counted here.
//
//   node scripts/run-integration-tests.mjs [--host node|web] [--no-build] [--grep TEXT] [--bench] [--editor-ab]
//
// --editor-ab: the walk suite's paired A/B of when the editor beside follows the walk runs (it is
// skipped otherwise; best with --grep "editor A/B"): the harness writes EDITOR_AB_FILE into the
// workspace. Its result line goes to the timings log like the benchmark's.
//
// --bench: the walk suite's benchmark runs its full series (scripts/bench.mjs passes it; without
// it the benchmark's series are short, as CI runs them): the harness writes FULL_SERIES_FILE into
// the workspace, where test/integration/walk.suite.ts looks for it.
//
// --grep runs only the tests whose full title contains TEXT (mocha's grep, as a plain string): the
// harness writes it into the workspace (GREP_FILE), where test/integration/reporter.ts reads it.
//
// Writes test-artifacts/results/integration-<host>.json, a screenshot of each workbench at the end
// (test-artifacts/integration-<host>.png) and the code-server log (test-artifacts/logs/).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureHost, launchBrowser, startHost, workbenchUrl } from './lib/vscode-host.mjs';
import { ARTIFACTS, ROOT, countsLine, writeResults } from './lib/results.mjs';
import { cpuDelta, workbenchCpu } from './lib/proc-cpu.mjs';
import { CPU_MARK, EDITOR_AB_FILE, FULL_SERIES_FILE, WORKBENCH_CPU_TAG } from './lib/workbench-timings.mjs';

const RESULT_PREFIX = 'kvm-mmu-lab-test '; // test/integration/reporter.ts prints it
const TIMING_PREFIX = 'kvm-mmu-lab-timing '; // test/integration/walk.suite.ts prints the step timings
// A run() that never settles never calls codeAutomationExit: this turns that hang into a failure.
// It bounds the whole suite of one host (each mocha test has its own 60 s), so it must leave room
// for every suite on a loaded 2-core machine: 180 s was reached at load 13 with the suites passing.
const VERDICT_TIMEOUT_MS = 600_000;

const argv = process.argv.slice(2);
const hostArg = argv.includes('--host') ? argv[argv.indexOf('--host') + 1] : 'all';
const hosts = hostArg === 'all' ? ['node', 'web'] : [hostArg];
const grep = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] ?? '' : '';
const fullSeries = argv.includes('--bench');
const editorAb = argv.includes('--editor-ab');
// The file the test entry reads the grep from (test/integration/reporter.ts reads the same name).
const GREP_FILE = 'kvm-mmu-lab-test-grep.txt';
if (!hosts.every((h) => h === 'node' || h === 'web')) {
  console.error(`--host must be node, web or all, not "${hostArg}"`);
  process.exit(2);
}

if (!argv.includes('--no-build')) {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--tests'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}

// The web run needs a manifest with `browser` and no `main` (code-server runs an extension with
// `main` in the Node host whatever else it is told): a copy of what the .vsix would contain, plus
// the test bundle, because the workbench runs the tests in the extension host of the development
// extension whose folder holds the test file (a test file outside every such folder runs in Node).
function prepareWebExtensionFolder() {
  const dir = join(ROOT, 'out', 'web-extension');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  delete manifest.main;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  // The localised manifest and messages: VS Code replaces `%key%` from package.nls.json when it reads
  // the extension, and vscode.l10n reads l10n/ (both ship in the .vsix).
  cpSync(join(ROOT, 'package.nls.json'), join(dir, 'package.nls.json'));
  cpSync(join(ROOT, 'l10n'), join(dir, 'l10n'), { recursive: true });
  cpSync(join(ROOT, 'media'), join(dir, 'media'), { recursive: true, filter: (src) => !src.endsWith('.ts') && !src.endsWith('tsconfig.json') });
  cpSync(join(ROOT, 'out', 'test', 'integration', 'web.js'), join(dir, 'test', 'web.js'));
  return dir;
}

// A fresh workspace each run: our own mmu.c-like fixture as a kernel tree (kernel/), a scenario
// file for the walk's quick pick (scenarios/), and no settings (the tests set the kernel tree).
function prepareWorkspace() {
  const dir = join(ROOT, 'out', 'test-workspace');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'scenarios'), { recursive: true });
  writeFileSync(join(dir, 'README.md'), 'Workspace opened by the KVM MMU Lab integration tests.\n');
  if (grep) writeFileSync(join(dir, GREP_FILE), grep);
  if (fullSeries) writeFileSync(join(dir, FULL_SERIES_FILE), 'full\n');
  if (editorAb) writeFileSync(join(dir, EDITOR_AB_FILE), 'ab\n');
  cpSync(join(ROOT, 'test', 'fixtures', 'kernel'), join(dir, 'kernel'), { recursive: true });
  cpSync(join(ROOT, 'test', 'fixtures', 'reused-partial-e4.scenario.json'), join(dir, 'scenarios', 'reused-partial-e4.scenario.json'));
  // Our own patch fixtures for Check Patch… (test/integration/review.suite.ts).
  mkdirSync(join(dir, 'patches'), { recursive: true });
  for (const f of ['seed-like.format-patch.patch', 'reused-flush.not-understood.patch', 'series.mbox', 'never-flush.unified.diff', 'pull-request.txt']) cpSync(join(ROOT, 'test', 'fixtures', 'patch', f), join(dir, 'patches', f));
  return dir;
}

async function runHost(host, vscodeHost) {
  const started = Date.now();
  const label = `integration-${host}`;
  const tests = [];
  const timingLines = [];
  let summary;
  let verdict;
  const problems = [];
  mkdirSync(join(ARTIFACTS, 'logs'), { recursive: true });
  const extensionPath = host === 'web' ? prepareWebExtensionFolder() : ROOT;
  const testsPath = host === 'web' ? join(extensionPath, 'test', 'web.js') : join(ROOT, 'out', 'test', 'integration', 'node.js');
  const server = await startHost({ host: vscodeHost, label, logFile: join(ARTIFACTS, 'logs', `${label}-code-server.log`) });
  let browser;
  try {
    browser = await launchBrowser();
    const page = browser.pages()[0] ?? (await browser.newPage());
    const consoleLines = [];
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    // name → CPU ms of each process at the benchmark's marks; `<name>-end <count>` prints the
    // CPU time since `<name>-start`, in all and per count (steps or pings).
    const marks = new Map();
    const cpuMark = (mark) => {
      const [name, count] = mark.split(' ');
      const now = workbenchCpu(browser.profileDir, server.pgid);
      marks.set(name, now);
      const base = name.endsWith('-end') ? marks.get(name.replace(/-end$/, '-start')) : undefined;
      if (!base) return;
      const delta = cpuDelta(base, now);
      const per = Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, Math.round((v / Number(count)) * 100) / 100]));
      const line = `${host} ${WORKBENCH_CPU_TAG} ${JSON.stringify({ series: name.replace(/-end$/, ''), count: Number(count), cpuMs: delta, cpuMsPerCount: per })}`;
      timingLines.push(line);
      console.log(`  [timing] ${line}`);
    };
    let settle;
    const exited = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      for (const arg of Array.isArray(args) ? args : [args]) {
        const text = typeof arg === 'string' ? arg : JSON.stringify(arg);
        if (text.startsWith(RESULT_PREFIX)) {
          const record = JSON.parse(text.slice(RESULT_PREFIX.length));
          if (record.state === 'end') {
            summary = record;
          } else {
            tests.push(record);
            const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' }[record.state];
            console.log(`  ${mark} ${record.title}`);
            if (record.error) console.log(record.error.replace(/^/gm, '       '));
          }
        } else if (text.startsWith(TIMING_PREFIX) && text.includes(` ${CPU_MARK} `)) {
          // The benchmark marks the start and end of its series: the workbench's CPU time between them.
          cpuMark(text.slice(text.indexOf(CPU_MARK) + CPU_MARK.length + 1).trim());
        } else if (text.startsWith(TIMING_PREFIX)) {
          timingLines.push(text.slice(TIMING_PREFIX.length));
          console.log(`  [timing] ${text.slice(TIMING_PREFIX.length)}`);
        } else if (process.env.KVM_MMU_LAB_VERBOSE) {
          console.log(`  [workbench ${type}] ${text}`);
        } else if (type === 'error' && !/getaddrinfo ENOTFOUND/.test(text)) {
          // First line only; the gallery lookups that fail for want of internet are left out.
          console.log(`  [workbench error] ${text.split('\n')[0]}`);
        }
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => settle(code));
    // KVM_MMU_LAB_TRACE=<file>: a chromium trace of the whole run (every process: the workbench,
    // the webviews' frames, the web extension host's worker), for Perfetto or chrome://tracing.
    const trace = process.env.KVM_MMU_LAB_TRACE ? await startTrace(browser, page) : undefined;
    const url = workbenchUrl(server, {
      folder: prepareWorkspace(),
      extensionPath,
      testsPath,
    });
    console.log(`[integration] ${host} extension host: opening the workbench with the tests`);
    await page.goto(url);
    let timer;
    verdict = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), VERDICT_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (trace) await trace.stop(process.env.KVM_MMU_LAB_TRACE.replace(/(\.json)?$/, `-${host}.json`));
    await page.screenshot({ path: join(ARTIFACTS, `${label}.png`) }).catch(() => {});
    writeFileSync(join(ARTIFACTS, 'logs', `${label}-browser-console.log`), `${consoleLines.join('\n')}\n`);
    writeFileSync(join(ARTIFACTS, 'logs', `${label}-timings.log`), `${timingLines.join('\n')}\n`);
    if (verdict === 'timeout') problems.push(`no verdict from the extension host within ${VERDICT_TIMEOUT_MS / 1000} s`);
    else if (verdict !== 0 && !tests.some((t) => t.state === 'failed')) problems.push(`the test run exited with code ${verdict} (the test module failed to load or run() threw)`);
  } catch (error) {
    problems.push(`harness error: ${error?.stack ?? error}`);
  } finally {
    await browser?.close().catch(() => {});
    await server.stop();
  }

  if (!summary && problems.length === 0) problems.push('mocha never reported the end of the run');
  if (summary && tests.length !== summary.passed + summary.failed + summary.skipped) problems.push(`mocha counted ${JSON.stringify(summary)} but ${tests.length} results arrived`);
  if (tests.length === 0 && problems.length === 0) problems.push('no test ran');
  for (const problem of problems) {
    console.log(`  FAIL ${label}: ${problem}`);
    tests.push({ state: 'failed', title: `${label} harness`, error: problem });
  }
  const count = (state) => tests.filter((t) => t.state === state).length;
  const record = writeResults(label, { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), durationMs: Date.now() - started, tests });
  console.log(`[integration] ${host} extension host: ${countsLine(record)} (${(record.durationMs / 1000).toFixed(1)} s)`);
  return record;
}

/** Chromium's tracing through the page's CDP session (the trace covers every process); stop(file) writes it as JSON. */
async function startTrace(browser, page) {
  const cdp = await browser.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'disabled-by-default-v8.gc', 'blink', 'blink.user_timing', 'toplevel', 'ipc', 'renderer.scheduler', 'cc', 'viz', 'gpu', 'benchmark', 'loading', 'disabled-by-default-devtools.timeline.frame'];
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: categories, recordMode: 'recordContinuously' }, transferMode: 'ReportEvents' });
  return {
    async stop(file) {
      const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      await done;
      writeFileSync(file, JSON.stringify({ traceEvents: events }));
      console.log(`[integration] trace: ${events.length} events in ${file}`);
    },
  };
}

const vscodeHost = await ensureHost();
let failed = 0;
for (const host of hosts) failed += (await runHost(host, vscodeHost)).failed;
process.exit(failed > 0 ? 1 : 0);
