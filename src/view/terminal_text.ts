/**
 * Text for a terminal (or a mail, or a file someone will `cat`): every character that a terminal
 * would act on rather than show is written as an escape a reader can see. Inputs carry such
 * characters (a mail Subject, a scenario name, a file name) and, printed raw, ESC [ ... and
 * ESC ] ... (ANSI and OSC sequences) can recolour, clear or retitle the terminal, make links,
 * or hide the lines around them; a CR can overwrite a line; bidirectional overrides can show text
 * in another order than it is. Newlines and tabs are the text's own layout and stay.
 *
 * Escaped: C0 controls but \n and \t (ESC is `\x1b`, CR `\r`), DEL, the C1 controls U+0080..U+009F
 * (U+009B is a one-character CSI for some terminals), and the bidirectional controls U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069 (as `\u{202e}`). A backslash stays as it is: the
 * escapes are for a reader, not to be read back.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED = new Map<string, string>([['\r', '\\r'], ['\x1b', '\\x1b']]);

function escapeOne(c: string): string {
  const named = NAMED.get(c);
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every character a terminal would act on written as a visible escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
