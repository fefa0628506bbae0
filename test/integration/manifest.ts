// The extension's manifest as the palette shows it. The Node extension host hands tests a
// packageJSON whose `%key%` strings are already replaced from package.nls.json; the web-worker
// host hands the raw manifest. Tests resolve the keys themselves, from the package.nls.json the
// extension ships, so that both hosts check the same English (and a key missing from it fails).
import * as vscode from 'vscode';
import { ok } from './assert';

export type Manifest = Record<string, unknown> & { contributes: Record<string, unknown> };

export async function localizedManifest(id: string): Promise<Manifest> {
  const ext = vscode.extensions.getExtension(id);
  ok(ext, `extension ${id} is not installed`);
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, 'package.nls.json'));
  const nls = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^%(.+)%$/.exec(v);
      if (!m) return v;
      ok(m[1] in nls, `manifest string ${v} has no entry in package.nls.json`);
      return nls[m[1]];
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  return resolve(ext.packageJSON) as Manifest;
}
