/**
 * The CLI's file reads and writes, and the one place that turns a failed one into the user's
 * error: a file that cannot be read (permissions, an I/O error), a folder given for a file, `-o`
 * into a folder that does not exist, a full disk. Each is exit 2 with the file and the reason in
 * words; none is an internal error, which is for the CLI's own bugs (./exit.ts).
 */
import { readFileSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './exit';

type FsError = Error & { code?: string };

/** errno names the user meets, in words; others are named by their code alone. */
const REASONS = new Map<string, string>([
  ['ENOENT', 'no such file or folder'],
  ['ENOTDIR', 'a part of the path is not a folder'],
  ['EISDIR', 'it is a folder'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'operation not permitted'],
  ['ENOSPC', 'no space left on the device'],
  ['EDQUOT', 'disk quota exceeded'],
  ['EROFS', 'the file system is read-only'],
  ['EIO', 'an input/output error'],
  ['EFBIG', 'the file is too large for the file system'],
  ['ENAMETOOLONG', 'the name is too long'],
  ['ELOOP', 'too many symbolic links'],
  ['EMFILE', 'too many open files'],
  ['EBUSY', 'the file is busy'],
  ['ETXTBSY', 'the file is busy'],
  ['EINVAL', 'the file cannot be read or written this way'],
]);

/** "permission denied (EACCES)": the reason for a failed file operation, without Node's stack or syscall. */
export function fsReason(e: unknown): string {
  const code = (e as FsError | undefined)?.code;
  if (typeof code === 'string') return `${REASONS.get(code) ?? 'the system refused'} (${code})`;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** Is this an error from the file system (it has an errno code), as opposed to a bug? */
export function isFsError(e: unknown): e is FsError {
  return e instanceof Error && typeof (e as FsError).code === 'string' && /^E[A-Z0-9]+$/.test((e as FsError).code!);
}

/**
 * Stat `file` as an input: undefined when there is nothing there (so a caller may look for a
 * built-in of that name), a UsageError when it is there but is not a regular file or cannot be
 * looked at.
 */
export function statInput(file: string, expected: string): Stats | undefined {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as FsError).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`${file}: cannot read it: ${fsReason(e)}; expected ${expected}`, { file });
  }
  if (!st.isFile()) throw new UsageError(`${file}: ${st.isDirectory() ? 'a folder' : 'not a regular file'}; expected ${expected}`, { file });
  return st;
}

/** Read a regular file of at most `maxBytes`, every failure a UsageError naming the file. */
export function readInputFile(file: string, expected: string, maxBytes: number): Buffer {
  const st = statInput(file, expected);
  if (!st) throw new UsageError(`${file}: cannot read it: ${REASONS.get('ENOENT')} (ENOENT); expected ${expected}`, { file });
  if (st.size > maxBytes) throw new UsageError(`${file}: ${st.size} bytes; expected ${expected} of at most ${maxBytes} bytes`, { file });
  try {
    return readFileSync(file);
  } catch (e) {
    if (!isFsError(e)) throw e;
    throw new UsageError(`${file}: cannot read it: ${fsReason(e)}; expected ${expected}`, { file });
  }
}

/** The same file by identity (device and inode): a path, a symbolic link or a hard link to it. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    // An output that does not exist yet is no input.
    return false;
  }
}

/** What a failed write needed instead, by its errno. */
const WRITE_EXPECTED = new Map<string, string>([
  ['ENOENT', 'a file name in an existing folder'], ['ENOTDIR', 'a file name in an existing folder'], ['EISDIR', 'a file name, not a folder'],
  ['ENOSPC', 'room on the device for the output'], ['EDQUOT', 'room in the disk quota for the output'],
  ['EACCES', 'a file you may write'], ['EPERM', 'a file you may write'], ['EROFS', 'a file on a writable file system'],
]);

/**
 * Write a command's output file. Refuses to write over one of the command's own inputs (`run
 * X.json -o X.json` would replace the scenario by its trace), and says why a write failed: a
 * missing folder, a folder given as the file, a full disk.
 */
export function writeOutputFile(file: string, text: string, inputs: readonly string[] = []): void {
  for (const input of inputs) {
    if (sameFile(file, input)) throw new UsageError(`-o ${file}: that is the input file ${input}; expected another file for the output (the input is left as it is)`, { file });
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    if (!isFsError(e)) throw e;
    const code = e.code ?? '';
    const where = code === 'ENOENT' ? `the folder ${dirname(resolve(file))} does not exist (ENOENT)` : code === 'EISDIR' ? 'it is a folder (EISDIR)' : fsReason(e);
    throw new UsageError(`-o ${file}: cannot write it: ${where}; expected ${WRITE_EXPECTED.get(code) ?? 'a file that can be written'}`, { file });
  }
}
