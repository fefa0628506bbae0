// Reading a workspace file on the extension host without trusting it: stat first, refuse what is
// not a regular file (a folder, a FIFO, a device: reading a FIFO blocks until a writer comes, and
// kvmMmuLab.kernelTree may point at one) and what is over the limit for its kind, before a byte is
// read; so a huge file never reaches memory and a parser never sees it. The refusal names the file
// and the limit (docs/reliability.md, "The extension host", lists the limits).
import * as vscode from 'vscode';
import { strings } from './strings';

/**
 * The most the editor's side reads of the files it parses and anchors on the host's thread at every
 * walk, in bytes: a file of the kernel tree (mmu.c was about 230 KB in 2026) and a patch open in a
 * tab (the largest series we review are under 1 MB). A scenario and a patch to review are read with
 * the core's own limits (MAX_SCENARIO_BYTES, MAX_PATCH_BYTES, as the CLI), by their callers: this
 * file is in the activation bundle, which holds no scenario parser.
 */
export const READ_LIMITS = {
  treeFile: 4 * 1024 * 1024,
  patchTab: 4 * 1024 * 1024,
} as const;

/** A file refused before it was read; the message names it and says why. */
export class FileRefusedError extends Error {
  override name = 'FileRefusedError';
}

/** How a file is named in a refusal: its path in the workspace, else its URI. */
function label(uri: vscode.Uri): string {
  try {
    return vscode.workspace.asRelativePath(uri);
  } catch {
    return uri.toString();
  }
}

/** Why this stat is refused for a file read with this limit, or undefined when it may be read. */
export function refusal(uri: vscode.Uri, stat: vscode.FileStat, limit: number): string | undefined {
  // FileType is a bit set: a symbolic link to a file is File | SymbolicLink; a FIFO is Unknown.
  if ((stat.type & vscode.FileType.File) === 0) return strings.notARegularFile(label(uri));
  if (stat.size > limit) return strings.fileTooLarge(label(uri), stat.size, limit);
  return undefined;
}

/** The file's text, read only if it is a regular file of at most `limit` bytes; else a FileRefusedError. */
export async function readBounded(uri: vscode.Uri, limit: number): Promise<string> {
  const why = refusal(uri, await vscode.workspace.fs.stat(uri), limit);
  if (why) throw new FileRefusedError(why);
  const bytes = await vscode.workspace.fs.readFile(uri);
  // It grew between the stat and the read: refuse it all the same, before decoding.
  if (bytes.byteLength > limit) throw new FileRefusedError(strings.fileTooLarge(label(uri), bytes.byteLength, limit));
  return new TextDecoder().decode(bytes);
}
