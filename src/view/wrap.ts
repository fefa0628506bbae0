/**
 * Text filled to a width for a mail reply. Lines break only at spaces, so an identifier
 * (`kvm_flush_remote_tlbs_with_address`), a hex number or `sp#2[1]` is never cut in two; the
 * first line starts with `indent` and the lines after it with `hang` (deeper, so a reader sees
 * where a paragraph goes on). A word wider than a whole line stays whole on a line of its own,
 * past the width: a cut word is worse than a long line. Words joined by `keep()` (a count and
 * its noun, "step 26") stay on one line too.
 */
export function wrap(text: string, width: number, indent = '', hang = indent): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/[ \t\n]+/)) {
    if (!word) continue;
    if (!line) line = (out.length ? hang : indent) + word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      out.push(line);
      line = hang + word;
    }
  }
  if (line) out.push(line);
  return (out.length ? out : [indent.trimEnd()]).map((l) => l.replace(NBSP_ALL, ' '));
}

/** U+00A0, which `wrap` does not break at and writes as a space: the output stays ASCII. */
const NBSP = '\u00a0';
const NBSP_ALL = /\u00a0/g;

/** `words` as one word for `wrap`: "2 faults" is not left as "2" at a line's end. */
export function keep(words: string): string {
  return words.replace(/ /g, NBSP);
}
