/**
 * The watch and hover language (docs/debugging.md has the grammar): a small, closed set of forms
 * read by a hand-written parser and answered from the same tree the Variables view shows. Nothing
 * is ever handed to a JavaScript evaluator. Errors name the column and what was expected there.
 *
 *   expr     := primary accessor*
 *   primary  := 'sp#' NUMBER | FUNC '(' NUMBER (',' NUMBER)* ')' | NAME
 *   accessor := '.' NAME | '[' NUMBER ']'
 *   FUNC     := tlb | rmap | dirty | memslot
 *   NUMBER   := decimal | 0x hex
 */
import { hex } from '../kernel/geometry';
import { dirtyBit, localsOf, memslotNode, rmapOf, spNode, tlbLookup, tlbNode, type Node, type Point } from './variables';

export class ExprError extends Error {
  constructor(readonly column: number, message: string) {
    super(`at column ${column}: ${message}`);
    this.name = 'ExprError';
  }
}

type Token = { t: 'num'; v: number; col: number } | { t: 'name'; v: string; col: number } | { t: 'sp'; col: number } | { t: 'punct'; v: string; col: number } | { t: 'end'; col: number };

const FUNCS = ['tlb', 'rmap', 'dirty', 'memslot'] as const;
const MAX_LENGTH = 200;

function describe(tok: Token): string {
  switch (tok.t) {
    case 'num': return `the number ${tok.v}`;
    case 'name': return `'${tok.v}'`;
    case 'sp': return `'sp#'`;
    case 'punct': return `'${tok.v}'`;
    case 'end': return 'the end of the expression';
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const col = i + 1;
    if (/\s/.test(c)) { i++; continue; }
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^sp#/.exec(rest))) { out.push({ t: 'sp', col }); i += 3; continue; }
    if ((m = /^(0x[0-9a-fA-F]+|\d+)(?![\w])/.exec(rest))) { out.push({ t: 'num', v: Number(m[1]), col }); i += m[0].length; continue; }
    if ((m = /^\*?[A-Za-z_]\w*(->[A-Za-z_]\w*)*/.exec(rest))) { out.push({ t: 'name', v: m[0], col }); i += m[0].length; continue; }
    if ('.[](),'.includes(c)) { out.push({ t: 'punct', v: c, col }); i++; continue; }
    throw new ExprError(col, `unexpected '${c}'; expected sp#N, tlb(...), rmap(...), dirty(...), memslot(...), a local's name, '.', '[' or a number`);
  }
  out.push({ t: 'end', col: text.length + 1 });
  return out;
}

/** Follows a value that names a shadow page ("sp#3") into that page's node, so `sp.spt[1]` reads the local's page. */
function follow(n: Node, p: Point): Node {
  const m = /^sp#(\d+)$/.exec(n.value);
  if (!n.kids && m) return spNode(p.snap.state, Number(m[1])) ?? n;
  return n;
}

/** Evaluates `text` at point `p`: the node it names (with its children, if any). */
export function evaluate(text: string, p: Point): Node {
  if (text.length > MAX_LENGTH) throw new ExprError(MAX_LENGTH + 1, `expressions are at most ${MAX_LENGTH} characters`);
  const toks = tokenize(text);
  let k = 0;
  const peek = () => toks[k];
  const expect = (what: string, ok: (t: Token) => boolean): Token => {
    const t = toks[k];
    if (!ok(t)) throw new ExprError(t.col, `expected ${what}, found ${describe(t)}`);
    k++;
    return t;
  };
  const number = (after: string) => (expect(`a number after ${after} (decimal or 0x hex)`, (t) => t.t === 'num') as { v: number }).v;
  const s = p.snap.state;

  let node: Node;
  const first = peek();
  if (first.t === 'sp') {
    k++;
    const id = number("'sp#'");
    const sp = spNode(s, id);
    if (!sp) throw new ExprError(first.col, `there is no sp#${id} at this step (shadow pages are sp#0 to sp#${s.sps.length - 1})`);
    node = sp;
  } else if (first.t === 'name' && (FUNCS as readonly string[]).includes(first.v) && toks[k + 1]?.t === 'punct' && (toks[k + 1] as { v: string }).v === '(') {
    k += 2;
    const args = [number(`'${first.v}('`)];
    while (peek().t === 'punct' && (peek() as { v: string }).v === ',') { k++; args.push(number("','")); }
    expect(`',' or ')'`, (t) => t.t === 'punct' && t.v === ')');
    node = call(first.v, args, first.col, p);
  } else if (first.t === 'name') {
    k++;
    const local = localsOf(p).find((n) => n.name === first.v || n.evaluateName === first.v);
    if (local) node = local;
    else if (first.v === 'mmu_lock') node = { name: 'mmu_lock', value: s.mmuLockHeld ? 'held (write)' : 'free' };
    else {
      const have = localsOf(p).map((n) => n.evaluateName).filter(Boolean);
      throw new ExprError(first.col, `'${first.v}' is not a local of the current operation here${have.length ? ` (its locals: ${have.join(', ')})` : ''}; expected sp#N, tlb(vcpu[, addr]), rmap(gfn), dirty(gfn), memslot(index), mmu_lock or a local`);
    }
  } else {
    throw new ExprError(first.col, `expected sp#N, tlb(vcpu[, addr]), rmap(gfn), dirty(gfn), memslot(index), mmu_lock or a local's name, found ${describe(first)}`);
  }

  for (;;) {
    const t = peek();
    if (t.t === 'end') return node;
    if (t.t === 'punct' && t.v === '.') {
      k++;
      const nameTok = expect("a field name after '.'", (x) => x.t === 'name') as { v: string; col: number };
      node = follow(node, p);
      const kids = node.kids?.kind === 'named' ? node.kids.of(p) : [];
      const child = kids.find((c) => c.name === nameTok.v);
      if (!child) throw new ExprError(nameTok.col, `${node.name} has no field '${nameTok.v}'${kids.length ? `; expected one of ${kids.map((c) => c.name).join(', ')}` : ''}`);
      node = child;
    } else if (t.t === 'punct' && t.v === '[') {
      k++;
      const at = peek().col;
      const i = number("'['");
      expect("']'", (x) => x.t === 'punct' && x.v === ']');
      node = follow(node, p);
      const kids = node.kids;
      if (kids?.kind === 'indexed') {
        const n = kids.count(p);
        if (i >= n) throw new ExprError(at, `index ${i} is past the end: ${node.name} has ${n} entries`);
        node = kids.item(p, i);
      } else {
        const child = kids?.kind === 'named' ? kids.of(p).find((c) => c.name === `[${i}]`) : undefined;
        if (!child) throw new ExprError(at, `${node.name} has no entry [${i}]`);
        node = child;
      }
    } else {
      throw new ExprError(t.col, `expected '.', '[' or the end of the expression, found ${describe(t)}`);
    }
  }
}

function call(fn: string, args: number[], col: number, p: Point): Node {
  const s = p.snap.state;
  const arity = (min: number, max: number, form: string) => {
    if (args.length < min || args.length > max) throw new ExprError(col, `${fn} takes ${form}, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
  };
  const vcpu = () => {
    if (args[0] >= s.vcpus.length) throw new ExprError(col, `there is no vCPU ${args[0]} (the scenario has ${s.vcpus.length})`);
    return args[0];
  };
  switch (fn) {
    case 'tlb':
      arity(1, 2, '(vcpu) or (vcpu, addr)');
      return args.length === 1 ? tlbNode(s, vcpu()) : { name: `tlb(${args[0]}, ${hex(args[1])})`, value: tlbLookup(s, vcpu(), args[1]), watch: { kind: 'tlb', vcpu: args[0], addr: args[1] } };
    case 'rmap':
      arity(1, 1, '(gfn)');
      return { name: `rmap(${hex(args[0])})`, value: rmapOf(s, args[0]) };
    case 'dirty':
      arity(1, 1, '(gfn)');
      return { name: `dirty(${hex(args[0])})`, value: dirtyBit(s, args[0]) };
    default: {
      arity(1, 1, '(memslot index)');
      const m = memslotNode(s, args[0]);
      if (!m) throw new ExprError(col, `there is no memslot ${args[0]} (the scenario has ${s.memslots.length})`);
      return m;
    }
  }
}
