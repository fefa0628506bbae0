/** The parsed form of patch mails and diffs. Line numbers are 1-based lines of the input text. */

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** The input's name (a file name, or what the caller passed). */
  file: string;
  line: number;
  message: string;
  /** What was expected there, when the message is about a format expectation. */
  expected?: string;
}

export interface HunkLine {
  kind: ' ' | '+' | '-';
  text: string;
  /** The input line this came from. */
  inputLine: number;
  /** A "\ No newline at end of file" marker follows. */
  noNewline?: boolean;
}

export interface Hunk {
  /** 1-based index within its file diff. */
  index: number;
  header: string;
  /** The function heading git prints after the second @@ (may be empty). */
  section: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: HunkLine[];
  inputLine: number;
  /** Leading whitespace was lost (web-archive text): the lines were recovered by the @@ counts. */
  whitespaceLost: boolean;
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'binary' | 'mode';

export interface FileDiff {
  oldPath: string;
  newPath: string;
  /** newPath, or oldPath for a deletion. */
  path: string;
  /** From `index <old>..<new>`: abbreviated or full blob ids. */
  oldBlob?: string;
  newBlob?: string;
  status: FileStatus;
  hunks: Hunk[];
  inputLine: number;
}

export interface SubjectPrefix {
  /** Bracket tags other than the version and the number: PATCH, RFC, RESEND, a stable tree, ... */
  tags: string[];
  version?: number;
  number?: number;
  total?: number;
}

export interface Trailer {
  key: string;
  value: string;
  inputLine: number;
}

export type InputFormat = 'format-patch' | 'mbox' | 'b4' | 'git-show' | 'mail' | 'web-archive' | 'plain-diff';

export interface PatchInfo {
  /** 1-based position in the input. */
  index: number;
  format: InputFormat;
  /** The subject without the bracket prefix. */
  subject: string;
  rawSubject: string;
  prefix: SubjectPrefix;
  author?: string;
  email?: string;
  date?: string;
  messageId?: string;
  /** git show / format-patch: the commit id. */
  commit?: string;
  /** The commit message body (without the subject and the trailers). */
  message: string;
  trailers: Trailer[];
  files: FileDiff[];
  inputLine: number;
  /** Some hunk lost its leading whitespace. */
  whitespaceLost: boolean;
  /** A cover letter ([PATCH 0/N], or a message without a diff). */
  cover: boolean;
}

export interface ParsedInput {
  name: string;
  format: InputFormat;
  patches: PatchInfo[];
  diagnostics: Diagnostic[];
  crlf: boolean;
  bytes: number;
  lines: number;
}
