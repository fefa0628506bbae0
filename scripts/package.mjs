// `npm run package`: a production build, then `vsce package` offline into kvm-mmu-lab-<version>.vsix.
// Prints the files in the .vsix and its size, and fails when a file the extension needs is missing
// or something that must not ship (source maps, sources, tests) slipped in.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/results.mjs';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const vsix = `${manifest.name}-${manifest.version}.vsix`;

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Lists a zip's entries from its central directory: [{ name, size, compressed }].
function zipEntries(file) {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.push({ name: zip.toString('utf8', at + 46, at + 46 + nameLength), size, compressed });
    at += 46 + skip;
  }
  return entries;
}

run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--production']);
rmSync(join(ROOT, vsix), { force: true });
// --no-dependencies: everything is bundled into dist/. No repository field yet, hence the flag, and
// --no-rewrite-relative-links: the README's images (docs/images/) stay relative links, shown in the
// repository; the installed extension's details page has no base URL to resolve them against.
run(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix]);

const entries = zipEntries(join(ROOT, vsix));
console.log(`\n${vsix}:`);
for (const e of entries) console.log(`  ${String(e.size).padStart(9)}  ${e.name}`);
const kb = (statSync(join(ROOT, vsix)).size / 1024).toFixed(1);
console.log(`${entries.length} files, ${kb} KiB`);

const names = new Set(entries.map((e) => e.name));
const required = ['extension/package.json', 'extension/package.nls.json', 'extension/l10n/bundle.l10n.json', 'extension/dist/extension.node.js', 'extension/dist/lab.node.js', 'extension/dist/extension.web.js', 'extension/dist/webview.js', 'extension/dist/review.js', 'extension/dist/worker.js', 'extension/dist/worker.web.js', 'extension/dist/codicons/codicon.css', 'extension/dist/codicons/codicon.ttf', 'extension/dist/codicons/LICENSE.txt', 'extension/media/walkthrough/example.patch', 'extension/media/panel.css', 'extension/media/icon.png', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt'];
const missing = required.filter((name) => !names.has(name));
const unwanted = [...names].filter((name) => /\.(map|ts)$/.test(name) || /(^|\/)(src|test|out|scripts|node_modules)\//.test(name));
if (missing.length || unwanted.length) {
  if (missing.length) console.error(`missing from the package: ${missing.join(', ')}`);
  if (unwanted.length) console.error(`must not be in the package: ${unwanted.join(', ')}`);
  process.exit(1);
}
