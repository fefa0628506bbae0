// `npm run typecheck`: tsc --noEmit over each of the project's TypeScript projects, two at a time
// (or one a core, if more): each tsc is one thread, mostly loading the same declarations, and six in
// a row left a core idle for about a minute of CI. Every project's output is printed whole, in
// order; the exit status is 1 if any failed.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';

const PROJECTS = ['src', 'cli', 'extension', 'extension/tsconfig.node.json', 'media', 'test'];
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs tsc on one project; resolves to its exit status and what it printed. */
function check(project) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', project], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status, signal) => resolve({ project, status: status ?? signal, out }));
  });
}

const results = new Array(PROJECTS.length);
let next = 0;
async function lane() {
  while (next < PROJECTS.length) {
    const i = next++;
    results[i] = await check(PROJECTS[i]);
  }
}
await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, lane));
let failed = 0;
for (const r of results) {
  if (r.out) process.stdout.write(r.out);
  if (r.status !== 0) {
    failed++;
    console.error(`typecheck: tsc -p ${r.project} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
