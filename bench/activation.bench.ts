/**
 * Activation of the built extension (dist/), each sample in a fresh Node process
 * (bench/activation-probe.ts) so that nothing is cached: loading the entry bundle (the Node host's
 * require; the web host's compile and call), activate() from entry to return, and the first use
 * that loads the lab and the simulation core. `vscode` is test/support/vscode-stub.ts, whose calls do
 * nothing: these are the extension's own costs, not VS Code's. The integration tests log the same
 * figures inside real extension hosts (test-artifacts/logs/integration-<host>-timings.log).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Probe {
  loadMs: number;
  compileMs?: number;
  bundleEvalMs: number;
  activateMs: number;
  activateWallMs: number;
  labLoadMs: number;
  commands: number;
  labMarksAtActivation: number;
  labMarksAfterFirstUse: number;
}

function summary(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s[s.length - 1]) };
}

function flavour(name: 'node' | 'web', samples: number) {
  const probes: Probe[] = [];
  for (let i = 0; i < samples; i++) {
    const out = execFileSync(process.execPath, [join(__dirname, 'activation-probe.js'), name, ROOT], { encoding: 'utf8' });
    probes.push(JSON.parse(out) as Probe);
  }
  const of = (k: keyof Probe) => summary(probes.map((p) => Number(p[k] ?? 0)));
  return {
    samples,
    loadMs: of('loadMs'),
    ...(name === 'web' ? { compileMs: of('compileMs') } : {}),
    bundleEvalMs: of('bundleEvalMs'),
    activateMs: of('activateMs'),
    loadPlusActivateMs: summary(probes.map((p) => p.loadMs + p.activateMs)),
    labLoadMs: of('labLoadMs'),
    commandsRegistered: probes[0].commands,
    labEvaluatedAtActivation: probes.some((p) => p.labMarksAtActivation > 0),
    labEvaluatedAfterFirstUse: probes.every((p) => p.labMarksAfterFirstUse === 1),
  };
}

export function benchActivation(quick: boolean) {
  if (!existsSync(join(ROOT, 'dist', 'extension.node.js'))) return { skipped: 'dist/ is not built (npm run build)' };
  const samples = quick ? 3 : 15;
  return {
    node: flavour('node', samples),
    web: flavour('web', samples),
    note: 'ms, median/min/max over fresh Node processes, vscode stubbed. loadMs: require() of dist/extension.node.js (node) or compile + call of dist/extension.web.js (web); bundleEvalMs: its first statement to its last; activateMs: activate() entry to return; labLoadMs: the first use (the lab and the core: require of dist/lab.node.js, or the bundled lab evaluated, then set up). The goal: loadMs + activateMs under 50.',
  };
}
