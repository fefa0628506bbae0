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

/** What a message is: a patch (it has a diff), or one of the mails that only talk about patches. */
export type MailKind = 'patch' | 'cover-letter' | 'pull-request' | 'push-notification' | 'no-diff';

/** A commit a mail without a diff lists (a cover letter's or pull request's shortlog, a push notification's revlist). */
export interface ListedCommit {
  /** Full or abbreviated id, when the mail gives one. */
  commit?: string;
  subject: string;
  /** The shortlog's author heading, when there is one. */
  author?: string;
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
  /** What the message is; anything but 'patch' has no diff. */
  kind: MailKind;
  /** The commits a message without a diff lists, in its order. */
  listed: ListedCommit[];
  /** A pull request's base and tip commits. */
  base?: string;
  tip?: string;
}

export interface ParsedInput {
  name: string;
  format: InputFormat;
  patches: PatchInfo[];
  /** The first diagnostics (errors past the first 20 are counted in a last one). */
  diagnostics: Diagnostic[];
  /** Diff lines visited: at most about twice the input's lines (the reader is linear). */
  visits: number;
  crlf: boolean;
  bytes: number;
  lines: number;
}
