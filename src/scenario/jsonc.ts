/**
 * The one reader of scenario text: JSON with comments and trailing commas, as VS Code's settings
 * are. It is iterative (an explicit stack, no recursion), so no input reaches the call stack's
 * limit, and its nesting guard counts its own brackets: a guard that scanned the text separately
 * could disagree with the reader on where a string or a comment ends (a comment ended by a CR, a
 * string cut by a newline) and let nesting past it reach a recursive parser. Every node keeps its
 * offset, and positionOf() turns an offset into the line and column an editor shows.
 *
 * Line ends, for comments and positions alike: LF, CRLF and a lone CR (an editor counts all three).
 */

export type JsonNodeType = 'object' | 'array' | 'property' | 'string' | 'number' | 'boolean' | 'null';

export interface JsonNode {
  type: JsonNodeType;
  /** Offset of the node's first character in the text (a property's: its key's). */
  offset: number;
  length: number;
  /** A string's, number's or boolean's value (null for null); undefined for the others. */
  value?: string | number | boolean | null;
  /** An object's properties, an array's items, a property's key and value. */
  children?: JsonNode[];
  parent?: JsonNode;
}

/** Deeper than any scenario needs: the checks after the reader walk the tree recursively. */
export const MAX_NESTING = 64;

export class JsoncError extends Error {
  /** `expected` is what the reader expected at `offset` ("a comma", "the closing quote of the string"). */
  constructor(readonly offset: number, readonly expected: string, readonly tooDeep = false) {
    super(tooDeep ? `brackets nest deeper than ${MAX_NESTING} levels` : `expected ${expected}`);
    this.name = 'JsoncError';
  }
}

const enum Ch {
  Tab = 9, LF = 10, CR = 13, Space = 32, Quote = 34, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Slash = 47,
  Zero = 48, Nine = 57, Colon = 58, OpenBracket = 91, Backslash = 92, CloseBracket = 93, OpenBrace = 123, CloseBrace = 125,
  Star = 42, LowerE = 101, UpperE = 69, BOM = 0xfeff,
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Offsets where each line starts: after LF, after CRLF, after a lone CR. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === Ch.LF || (c === Ch.CR && text.charCodeAt(i + 1) !== Ch.LF)) starts.push(i + 1);
  }
  return starts;
}

/** Line and column (both from 1) of `offset`, by binary search over lineStarts(). */
export function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {
    if (text.charCodeAt(0) === Ch.BOM) this.pos = 1;
  }

  /** Skips whitespace and comments; the offset of the next token, or text.length at the end. */
  skip(): number {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === Ch.Space || c === Ch.Tab || c === Ch.LF || c === Ch.CR) {
        this.pos++;
      } else if (c === Ch.Slash && t.charCodeAt(this.pos + 1) === Ch.Slash) {
        this.pos += 2;
        while (this.pos < t.length && t.charCodeAt(this.pos) !== Ch.LF && t.charCodeAt(this.pos) !== Ch.CR) this.pos++;
      } else if (c === Ch.Slash && t.charCodeAt(this.pos + 1) === Ch.Star) {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) throw new JsoncError(this.pos, 'the end of the comment, "*/"');
        this.pos = end + 2;
      } else {
        break;
      }
    }
    return this.pos;
  }

  /** A string token from the opening quote at pos: its value; pos ends after the closing quote. */
  string(): string {
    const t = this.text;
    const parts: string[] = [];
    let from = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) throw new JsoncError(this.pos, 'the closing quote of the string');
      const c = t.charCodeAt(this.pos);
      if (c === Ch.Quote) break;
      if (c === Ch.LF || c === Ch.CR) throw new JsoncError(this.pos, 'the closing quote of the string before the end of the line');
      if (c < 0x20) throw new JsoncError(this.pos, 'a character escaped as \\u00XX, not a control character, in the string');
      if (c === Ch.Backslash) {
        parts.push(t.slice(from, this.pos));
        const e = t[this.pos + 1];
        if (e === 'u') {
          const hex = t.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsoncError(this.pos, 'four hex digits after \\u');
          parts.push(String.fromCharCode(parseInt(hex, 16)));
          this.pos += 6;
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          parts.push(ESCAPES[e]);
          this.pos += 2;
        } else {
          throw new JsoncError(this.pos, 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
        }
        from = this.pos;
        continue;
      }
      this.pos++;
    }
    parts.push(t.slice(from, this.pos));
    this.pos++;
    return parts.join('');
  }

  /** A number token at pos, JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  number(): number {
    const t = this.text;
    const start = this.pos;
    const digits = (): number => {
      const from = this.pos;
      while (t.charCodeAt(this.pos) >= Ch.Zero && t.charCodeAt(this.pos) <= Ch.Nine) this.pos++;
      return this.pos - from;
    };
    if (t.charCodeAt(this.pos) === Ch.Minus) this.pos++;
    const lead = this.pos;
    if (digits() === 0 || (t.charCodeAt(lead) === Ch.Zero && this.pos - lead > 1)) throw new JsoncError(start, 'a number (digits, no leading zero)');
    if (t.charCodeAt(this.pos) === Ch.Dot) {
      this.pos++;
      if (digits() === 0) throw new JsoncError(this.pos, 'digits after the decimal point');
    }
    const e = t.charCodeAt(this.pos);
    if (e === Ch.LowerE || e === Ch.UpperE) {
      this.pos++;
      const s = t.charCodeAt(this.pos);
      if (s === Ch.Plus || s === Ch.Minus) this.pos++;
      if (digits() === 0) throw new JsoncError(this.pos, 'digits of the exponent');
    }
    return Number(t.slice(start, this.pos));
  }
}

const LITERALS: Array<[string, JsonNodeType, boolean | null]> = [['true', 'boolean', true], ['false', 'boolean', false], ['null', 'null', null]];

/**
 * Reads one scalar value or opens a container at pos; a container is returned with empty children
 * for the caller to fill.
 */
function value(s: Scanner, at: number): JsonNode {
  const t = s.text;
  const c = t.charCodeAt(at);
  if (c === Ch.OpenBrace || c === Ch.OpenBracket) {
    s.pos = at + 1;
    return { type: c === Ch.OpenBrace ? 'object' : 'array', offset: at, length: 1, children: [] };
  }
  if (c === Ch.Quote) {
    const v = s.string();
    return { type: 'string', offset: at, length: s.pos - at, value: v };
  }
  if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) {
    const v = s.number();
    return { type: 'number', offset: at, length: s.pos - at, value: v };
  }
  for (const [word, type, v] of LITERALS) {
    if (t.startsWith(word, at)) {
      s.pos = at + word.length;
      return { type, offset: at, length: word.length, value: v };
    }
  }
  throw new JsoncError(at, at >= t.length ? 'a value' : 'a JSON value, not this symbol');
}

/** An open container and what it waits for next. */
interface Open {
  node: JsonNode;
  /** 'first': an item/key or the close; 'next': a comma or the close; 'after-comma': an item/key or (trailing comma) the close. */
  state: 'first' | 'next' | 'after-comma';
}

/**
 * Parses `text` into a tree of JsonNodes, or throws a JsoncError at the first problem (with the
 * offset and what was expected there). Nesting past MAX_NESTING is such a problem.
 */
export function parseJsonc(text: string): JsonNode {
  const s = new Scanner(text);
  const stack: Open[] = [];
  let root: JsonNode | undefined;

  /** Puts a finished or opened value where it belongs; opens it if it is a container. */
  const place = (v: JsonNode, prop?: JsonNode): void => {
    if (prop) {
      prop.children!.push(v);
      v.parent = prop;
    } else if (stack.length) {
      const top = stack[stack.length - 1].node;
      top.children!.push(v);
      v.parent = top;
    } else {
      root = v;
    }
    if (v.type === 'object' || v.type === 'array') {
      if (stack.length >= MAX_NESTING) throw new JsoncError(v.offset, 'less nesting', true);
      stack.push({ node: v, state: 'first' });
    }
  };

  /** Closes the top container at the bracket at `at`, and the property it was the value of. */
  const close = (at: number): void => {
    const { node } = stack.pop()!;
    node.length = at + 1 - node.offset;
    const prop = node.parent;
    if (prop?.type === 'property') prop.length = at + 1 - prop.offset;
    s.pos = at + 1;
  };

  place(value(s, s.skip()));
  while (stack.length) {
    const open = stack[stack.length - 1];
    const isObject = open.node.type === 'object';
    const closer = isObject ? Ch.CloseBrace : Ch.CloseBracket;
    const at = s.skip();
    const c = text.charCodeAt(at);
    // The close after an item, after a trailing comma, or of an empty container.
    if (c === closer) {
      close(at);
      continue;
    }
    if (open.state === 'next') {
      if (c !== Ch.Comma) throw new JsoncError(at, isObject ? 'a comma or a closing brace' : 'a comma or a closing bracket');
      s.pos = at + 1;
      open.state = 'after-comma';
      continue;
    }
    open.state = 'next';
    if (!isObject) {
      place(value(s, at));
      continue;
    }
    if (c !== Ch.Quote) throw new JsoncError(at, 'a property name in double quotes');
    const key = value(s, at);
    const prop: JsonNode = { type: 'property', offset: at, length: 0, children: [key], parent: open.node };
    key.parent = prop;
    open.node.children!.push(prop);
    const colon = s.skip();
    if (text.charCodeAt(colon) !== Ch.Colon) throw new JsoncError(colon, 'a colon');
    s.pos = colon + 1;
    const v = value(s, s.skip());
    place(v, prop);
    if (v.type !== 'object' && v.type !== 'array') prop.length = v.offset + v.length - prop.offset;
  }
  const end = s.skip();
  if (end < text.length) throw new JsoncError(end, 'the end of the file');
  return root!;
}

/** The node at a path of keys and indexes from `root`, or undefined (own keys only; the last of repeated keys). */
export function nodeAt(root: JsonNode, path: ReadonlyArray<string | number>): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const k of path) {
    if (!node) return undefined;
    if (typeof k === 'number') {
      node = node.type === 'array' ? node.children![k] : undefined;
    } else if (node.type === 'object') {
      let found: JsonNode | undefined;
      for (const p of node.children!) if (p.children![0].value === k) found = p.children![1];
      node = found;
    } else {
      return undefined;
    }
  }
  return node;
}

/**
 * The plain value of a node, for messages that quote what the file holds. Iterative, as the reader
 * is; an object is built with no prototype-held names, so a key "__proto__" is a key like any other.
 */
export function valueOf(node: JsonNode): unknown {
  const out = new Map<JsonNode, unknown>();
  const todo: Array<{ node: JsonNode; done: boolean }> = [{ node, done: false }];
  while (todo.length) {
    const item = todo.pop()!;
    const n = item.node;
    if (n.type !== 'object' && n.type !== 'array') {
      out.set(n, n.value);
      continue;
    }
    if (!item.done) {
      todo.push({ node: n, done: true });
      for (const c of n.children!) todo.push({ node: n.type === 'object' ? c.children![1] : c, done: false });
      continue;
    }
    if (n.type === 'array') {
      out.set(n, n.children!.map((c) => out.get(c)));
    } else {
      const o: Record<string, unknown> = {};
      for (const p of n.children!) Object.defineProperty(o, p.children![0].value as string, { value: out.get(p.children![1]), enumerable: true, writable: true, configurable: true });
      out.set(n, o);
    }
  }
  return out.get(node);
}
