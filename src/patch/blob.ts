/**
 * Git blob ids: sha1("blob " + byteLength + "\0" + bytes), as `git hash-object` computes them,
 * with the host's Web Crypto (every host the core runs in has crypto.subtle). It is asynchronous,
 * so everything that checks a blob is too.
 */

const utf8 = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The id git gives a file with this content. Text is encoded as UTF-8 (a lone surrogate as U+FFFD). */
export async function gitBlobId(content: string | Uint8Array): Promise<string> {
  const body = typeof content === 'string' ? utf8.encode(content) : content;
  const head = utf8.encode(`blob ${body.length}\0`);
  const all = new Uint8Array(head.length + body.length);
  all.set(head, 0);
  all.set(body, head.length);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', all)));
}

/** Whether an abbreviated id from an `index` line names this full id. */
export function blobIdMatches(abbrev: string, full: string): boolean {
  return abbrev.length >= 4 && full.startsWith(abbrev.toLowerCase());
}
