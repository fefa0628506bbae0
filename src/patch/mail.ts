/** Mail headers, encodings, subjects and trailers. Everything is line-at-a-time and linear. */
import type { SubjectPrefix, Trailer } from './types';

export interface Header {
  key: string;
  value: string;
  inputLine: number;
}

/**
 * UTF-8 bytes to a string. Not `fatal`: a mail with bad bytes must still read, so each maximal
 * invalid subsequence becomes one U+FFFD (the WHATWG decoder's rule, which also refuses overlong
 * forms and encoded surrogates). `ignoreBOM`: the decoder runs per line and per encoded word, where
 * EF BB BF is content, not a byte-order mark of the whole mail, so it stays as U+FEFF.
 */
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function decodeUtf8(b: Uint8Array | readonly number[]): string {
  return utf8Decoder.decode(b instanceof Uint8Array ? b : Uint8Array.from(b));
}

const NOT_BASE64 = /[^A-Za-z0-9+/]+/g;

/**
 * Base64 (RFC 2045) to bytes, as leniently as a mail reader must be: every character outside the
 * alphabet (line breaks, padding, stray punctuation) is skipped, and a last lone character, which
 * holds fewer than 8 bits, is dropped. atob() would refuse both; what remains it decodes exactly.
 */
export function decodeBase64(s: string): Uint8Array {
  let clean = s.replace(NOT_BASE64, '');
  if (clean.length % 4 === 1) clean = clean.slice(0, -1);
  const binary = atob(clean);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function hexVal(c: string): number {
  const v = parseInt(c, 16);
  return Number.isNaN(v) ? -1 : v;
}

/** RFC 2047 encoded words (=?utf-8?q?...?= and =?utf-8?b?...?=). */
export function decodeEncodedWords(s: string): string {
  if (!s.includes('=?')) return s;
  // Whitespace between two adjacent encoded words is dropped (RFC 2047 6.2).
  return s.replace(/=\?([^?\s]{1,40})\?([qQbB])\?([^?\s]*)\?=(?:\s+(?==\?))?/g, (_m, _cs: string, enc: string, text: string) => {
    if (enc === 'b' || enc === 'B') return decodeUtf8(decodeBase64(text));
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '_') bytes.push(32);
      else if (c === '=' && i + 2 < text.length + 0 && hexVal(text[i + 1]) >= 0 && hexVal(text[i + 2]) >= 0) { bytes.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2; }
      else bytes.push(c.charCodeAt(0) & 0xff);
    }
    return decodeUtf8(bytes);
  });
}

/** Quoted-printable body lines to plain lines (soft line breaks joined). */
export function decodeQuotedPrintable(lines: string[]): { lines: string[]; origin: number[] } {
  const out: string[] = [];
  const origin: number[] = [];
  let pending: number[] = [];
  let start = -1;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (start < 0) start = li;
    let soft = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '=') {
        if (i === line.length - 1) { soft = true; break; }
        if (i + 2 < line.length + 1 && hexVal(line[i + 1]) >= 0 && hexVal(line[i + 2]) >= 0) { pending.push(parseInt(line.slice(i + 1, i + 3), 16)); i += 2; continue; }
      }
      const code = c.charCodeAt(0);
      if (code < 0x80) { pending.push(code); continue; }
      // A raw non-ASCII character (the mail was decoded as UTF-8 already): its UTF-8 bytes, taken
      // a code point at a time so that a surrogate pair is one character (a lone one is U+FFFD).
      const ch = String.fromCodePoint(line.codePointAt(i)!);
      for (const b of utf8Encoder.encode(ch)) pending.push(b);
      i += ch.length - 1;
    }
    if (!soft) { out.push(decodeUtf8(pending)); origin.push(start); pending = []; start = -1; }
  }
  if (pending.length || start >= 0) { out.push(decodeUtf8(pending)); origin.push(start < 0 ? lines.length - 1 : start); }
  return { lines: out, origin };
}

/** Header block starting at `from`: returns the headers and the index of the first body line. */
export function readHeaders(lines: string[], from: number, end: number): { headers: Header[]; bodyStart: number } {
  const headers: Header[] = [];
  let i = from;
  for (; i < end; i++) {
    const line = lines[i];
    if (line === '') { i++; break; }
    if ((line[0] === ' ' || line[0] === '\t') && headers.length) {
      headers[headers.length - 1].value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[A-Za-z0-9-]+$/.test(line.slice(0, colon))) break;
    headers.push({ key: line.slice(0, colon), value: line.slice(colon + 1).trim(), inputLine: i + 1 });
  }
  for (const h of headers) h.value = decodeEncodedWords(h.value);
  return { headers, bodyStart: i };
}

export function header(headers: Header[], key: string): Header | undefined {
  const k = key.toLowerCase();
  return headers.find((h) => h.key.toLowerCase() === k);
}

/** "Name <mail>" -> name and mail; a bare name or a bare address is kept as is. */
export function splitAddress(v: string): { name: string; email?: string } {
  const lt = v.indexOf('<');
  const gt = v.indexOf('>', lt + 1);
  if (lt >= 0 && gt > lt) {
    const name = v.slice(0, lt).trim().replace(/^"(.*)"$/, '$1');
    const email = v.slice(lt + 1, gt).trim();
    return { name: name || email, email };
  }
  if (/^[^\s@]+@[^\s@]+$/.test(v.trim())) return { name: v.trim(), email: v.trim() };
  return { name: v.trim() };
}

/** "[PATCH v7 23/23] KVM: x86/mmu: ..." -> the prefix and the subject proper. */
export function parseSubject(raw: string): { subject: string; prefix: SubjectPrefix } {
  let s = raw.trim();
  const prefix: SubjectPrefix = { tags: [] };
  for (let guard = 0; guard < 8; guard++) {
    const re = /^(?:(?:re|fwd?|aw):\s*)/i;
    if (re.test(s)) { s = s.replace(re, ''); continue; }
    if (s[0] !== '[') break;
    const close = s.indexOf(']');
    if (close < 0) break;
    for (const tok of s.slice(1, close).split(/[\s,]+/)) {
      if (!tok) continue;
      const v = /^v(\d+)$/i.exec(tok);
      const n = /^(\d+)\/(\d+)$/.exec(tok);
      if (v) prefix.version = Number(v[1]);
      else if (n) { prefix.number = Number(n[1]); prefix.total = Number(n[2]); }
      else prefix.tags.push(tok);
    }
    s = s.slice(close + 1).trimStart();
  }
  return { subject: s, prefix };
}

const TRAILER_KEY = /^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):\s+(\S.*)$/;

/**
 * Split a commit message into body and trailers: the trailers are the last paragraph when every
 * line of it is `Key: value`, a `[ annotation ]`, or a continuation (git interpret-trailers rules,
 * loosely). `firstLine` is the input line of message line 0.
 */
export function splitTrailers(msg: string[], lineOf: (i: number) => number): { body: string[]; trailers: Trailer[] } {
  let end = msg.length;
  while (end > 0 && msg[end - 1].trim() === '') end--;
  let start = end;
  while (start > 0 && msg[start - 1].trim() !== '') start--;
  const trailers: Trailer[] = [];
  let keyed = 0;
  for (let i = start; i < end; i++) {
    const line = msg[i].trim();
    const m = TRAILER_KEY.exec(line);
    if (m) { trailers.push({ key: m[1], value: m[2].trim(), inputLine: lineOf(i) }); keyed++; }
    else if (/^\[.*\]$/.test(line) || (/^\s/.test(msg[i]) && trailers.length)) continue;
    else { keyed = -1; break; }
  }
  if (keyed <= 0) return { body: msg.slice(0, end), trailers: [] };
  let bodyEnd = start;
  while (bodyEnd > 0 && msg[bodyEnd - 1].trim() === '') bodyEnd--;
  return { body: msg.slice(0, bodyEnd), trailers };
}
