/**
 * What a mail without a diff says about a series: the commits it lists. A cover letter (git
 * format-patch --cover-letter) and a pull request (git request-pull) carry a shortlog, "Name (N):"
 * followed by one indented subject per commit; a pull request names its base and tip commits; a
 * push notification (kernel.org's post-receive mails) lists "<40 hex> <subject>" lines in its
 * revlist part; `git log --oneline` lists "<abbreviated id> <subject>". One pass, anchored
 * regular expressions, constant work per line.
 */
import type { ListedCommit, MailKind, PatchInfo } from './types';

const BASE = /^The following changes since commit ([0-9a-f]{40}):\s*$/;
const TIP = /^for you to fetch changes up to ([0-9a-f]{40}):\s*$/;
const TIP_SUBJECT = /^\s+(\S.*?) \((\d{4}-\d\d-\d\d)[^)]{0,40}\)\s*$/;
const SHORTLOG_HEAD = /^(\S.{0,200}?) \((\d{1,6})\):\s*$/;
const FULL_ID = /^([0-9a-f]{40}) (\S.*)$/;
const SHORT_ID = /^([0-9a-f]{12,39}) (\S.*)$/;
const HEX40 = /^[0-9a-f]{40}\b/;

export interface Listing {
  listed: ListedCommit[];
  base?: string;
  tip?: string;
  shortlog: boolean;
  revlist: boolean;
}

/** The commits that lines [from, end) list; `lineNo` maps an index to its input line. */
export function readListing(lines: readonly string[], from: number, end: number, lineNo: (i: number) => number): Listing {
  const out: Listing = { listed: [], shortlog: false, revlist: false };
  let tipSubject: string | undefined;
  for (let i = from; i < end; i++) {
    const l = lines[i];
    if (l.length === 0 || l.length > 1000) continue;
    let m = BASE.exec(l);
    if (m) { out.base = m[1]; continue; }
    m = TIP.exec(l);
    if (m) {
      out.tip = m[1];
      let k = i + 1;
      while (k < end && lines[k].trim() === '') k++;
      const t = k < end ? TIP_SUBJECT.exec(lines[k]) : null;
      if (t) { tipSubject = t[1]; i = k; }
      continue;
    }
    m = SHORTLOG_HEAD.exec(l);
    if (m && i + 1 < end && /^\s+\S/.test(lines[i + 1])) {
      out.shortlog = true;
      const author = m[1];
      let k = i + 1;
      for (; k < end && /^\s+\S/.test(lines[k]); k++) out.listed.push({ subject: lines[k].trim(), author, inputLine: lineNo(k) });
      i = k - 1;
      continue;
    }
    m = FULL_ID.exec(l);
    if (m && !HEX40.test(m[2])) {
      out.revlist = true;
      out.listed.push({ commit: m[1], subject: m[2].trim(), inputLine: lineNo(i) });
      continue;
    }
    m = SHORT_ID.exec(l);
    if (m) out.listed.push({ commit: m[1], subject: m[2].trim(), inputLine: lineNo(i) });
  }
  // The tip of a pull request is the commit whose subject follows "fetch changes up to".
  if (out.tip && tipSubject !== undefined) {
    const hit = out.listed.find((c) => c.commit === undefined && c.subject === tipSubject);
    if (hit) hit.commit = out.tip;
    else out.listed.push({ commit: out.tip, subject: tipSubject, inputLine: lineNo(from) });
  }
  return out;
}

/** What kind of message a patch without a diff is, from its subject and what it lists. */
export function mailKind(p: Pick<PatchInfo, 'rawSubject' | 'prefix' | 'files'>, l: Listing): MailKind {
  if (p.files.length) return 'patch';
  if (l.base || l.tip || /\[GIT PULL\]/i.test(p.rawSubject)) return 'pull-request';
  if (/^post-receive:/i.test(p.rawSubject) || l.revlist) return 'push-notification';
  if (p.prefix.number === 0 || l.shortlog) return 'cover-letter';
  return 'no-diff';
}

/** In words, for the reader. */
export const MAIL_KIND_WORDS: Record<MailKind, string> = {
  'patch': 'patch',
  'cover-letter': 'cover letter',
  'pull-request': 'pull request',
  'push-notification': 'push notification',
  'no-diff': 'mail without a diff',
};
