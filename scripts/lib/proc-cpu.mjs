// CPU time of the workbench's processes, read from /proc (Linux): the benchmark's load-independent
// measure of what a step costs each process (docs/testing.md, "What a step costs the workbench").
// Latency on a shared 2-core machine moves with the other jobs' load; CPU seconds much less.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond;
function ticks() {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** Every process now: pid → { ppid, pgrp, cpuMs (user + system), args }. */
export function processes() {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      out.set(Number(name), { ppid: Number(f[1]), pgrp: Number(f[2]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / ticks(), args });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A process's CPU milliseconds so far by thread name (threads of one name together: the raster workers, say). */
export function threadsCpu(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out[comm] = (out[comm] ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / ticks();
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * The CPU milliseconds so far of the browser whose profile is `profile` (its renderers each by pid,
 * its GPU process, the browser process, the others together) and of the code-server process group `pgid` (the Node extension host apart).
 */
export function workbenchCpu(profile, pgid) {
  const all = processes();
  const browser = [...all].find(([, p]) => p.args.includes(profile) && !p.args.includes('--type='))?.[0];
  const inBrowser = new Set(browser === undefined ? [] : [browser]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of all) {
      if (inBrowser.has(pid) || !inBrowser.has(p.ppid)) continue;
      inBrowser.add(pid);
      grew = true;
    }
  }
  const cpu = {};
  const add = (key, ms) => (cpu[key] = (cpu[key] ?? 0) + ms);
  for (const pid of inBrowser) {
    const p = all.get(pid);
    const type = /--type=(\S+)/.exec(p.args)?.[1];
    if (type === 'renderer' || type === 'gpu-process') {
      const label = type === 'renderer' ? `renderer ${pid}` : 'gpu process';
      add(label, p.cpuMs);
      // By thread: the main thread, the compositor, the raster workers (a thread that ended since is in the process's total only).
      for (const [thread, ms] of Object.entries(threadsCpu(pid))) add(`${label} / ${thread}`, ms);
    }
    else if (type === undefined) add('browser process', p.cpuMs);
    else add('browser (other processes)', p.cpuMs);
  }
  for (const [, p] of all) {
    if (p.pgrp !== pgid) continue;
    if (p.args.includes('--type=extensionHost')) add('node extension host', p.cpuMs);
    else add('code-server (other processes)', p.cpuMs);
  }
  return cpu;
}

/** b − a per key, in ms, rounded; keys with under 1 ms left out. */
export function cpuDelta(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    const d = Math.round(v - (a[k] ?? 0));
    if (d >= 1) out[k] = d;
  }
  return out;
}
