/**
 * Where C functions are in a kernel source file, kernel style: the definition starts at column 0,
 * the body's `{` and `}` are at column 0. One pass, constant work per line (lines longer than
 * 400 characters are not considered as definition starts).
 */

export interface FunctionSpan {
  name: string;
  /** 1-based line of the definition's first line. */
  start: number;
  /** 1-based line of the closing `}`. */
  end: number;
}

const NAME_BEFORE_PAREN = /(FNAME\(\s*\w+\s*\)|\b[A-Za-z_]\w*)\s*\($/;

/** The function name a definition line declares, or undefined if it does not look like one. */
export function definitionName(line: string): string | undefined {
  if (line.length > 400 || line.length === 0) return undefined;
  const c = line[0];
  if (!/[A-Za-z_]/.test(c)) return undefined;
  const t = line.trimEnd();
  if (t.endsWith(';') || t.endsWith('\\')) return undefined;
  if (/^(if|for|while|switch|return|else|do|case|goto|sizeof|typedef|struct \w+ \{|enum|union)\b/.test(t)) return undefined;
  // The name is the identifier right before the first '(' that opens the parameter list; for
  // FNAME(x)(...) it is FNAME(x).
  let paren = t.indexOf('(');
  if (paren < 0) return undefined;
  if (t.slice(0, paren).endsWith('FNAME')) {
    const close = t.indexOf(')', paren);
    if (close < 0) return undefined;
    const next = t.indexOf('(', close);
    if (next < 0) return undefined;
    paren = next;
  }
  const m = NAME_BEFORE_PAREN.exec(t.slice(0, paren + 1));
  if (!m) return undefined;
  const name = m[1].replace(/\s+/g, '');
  const head = t.slice(0, m.index).trim();
  // A definition has a return type (and maybe storage words) before the name.
  if (head === '' || /[=+\-/%!?:]/.test(head) || /^(EXPORT_SYMBOL|module_|MODULE_|DEFINE_|static_assert|BUILD_BUG)/.test(name)) return undefined;
  return name;
}

export function indexFunctions(lines: readonly string[]): FunctionSpan[] {
  const out: FunctionSpan[] = [];
  let i = 0;
  while (i < lines.length) {
    const name = definitionName(lines[i]);
    if (!name) { i++; continue; }
    // Find the body's '{' at column 0 within a few lines; a ';' first means a declaration.
    let j = i;
    let body = -1;
    for (; j < lines.length && j < i + 16; j++) {
      const l = lines[j];
      if (l.startsWith('{')) { body = j; break; }
      if (l.trimEnd().endsWith(';')) break;
      if (j > i && /^[A-Za-z_#}]/.test(l)) break;
    }
    if (body < 0) { i++; continue; }
    let k = body + 1;
    while (k < lines.length && !lines[k].startsWith('}')) k++;
    out.push({ name, start: i + 1, end: Math.min(k + 1, lines.length) });
    i = k + 1;
  }
  return out;
}

/** The function holding a 1-based line, by binary search over sorted spans. */
export function functionAt(spans: readonly FunctionSpan[], line: number): FunctionSpan | undefined {
  let lo = 0, hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid];
    if (line < s.start) hi = mid - 1;
    else if (line > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** Whitespace removed: the form statements are compared in. */
export function norm(s: string): string {
  return s.replace(/\s+/g, '');
}
