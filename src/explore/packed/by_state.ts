/**
 * A number for each state of the single packed search (search.ts: its parent; under hash
 * compaction also the action that made it), kept in chunks of BY_STATE_CHUNK entries that are
 * added as states are, never copied.
 *
 * An array grown by doubling holds up to twice what it needs, and while it doubles the old and the
 * new copy together (three times the old size), and the old copy stays resident until the
 * collector frees it: at issue 17's bound (61 M states) the parents and actions were arrays of 2^26
 * entries (384 MiB) with up to 192 MiB of old copies beside them (docs/explorer.md, "Where the
 * memory and the time of issue 17's bound went"). In chunks they take what they hold, rounded up to one chunk.
 */

/** Entries of a chunk, as a power of two. */
const BY_STATE_BITS = 16;
export const BY_STATE_CHUNK = 1 << BY_STATE_BITS;
const BY_STATE_MASK = BY_STATE_CHUNK - 1;

export class ByState<T extends Int32Array | Int16Array> {
  private readonly chunks: T[] = [];
  /** Bytes of the chunks, kept as they are added (the search reads it every thousand states). */
  private bytes = 0;

  /** `make(n)`: a zeroed array of n entries (the element type). */
  constructor(private readonly make: (n: number) => T) {}

  get(i: number): number {
    return this.chunks[i >>> BY_STATE_BITS][i & BY_STATE_MASK];
  }

  /** Set entry i; entries are set in order of i, each chunk made when its first entry is. */
  set(i: number, value: number): void {
    const c = i >>> BY_STATE_BITS;
    if (c === this.chunks.length) {
      const chunk = this.make(BY_STATE_CHUNK);
      this.chunks.push(chunk);
      this.bytes += chunk.byteLength;
    }
    this.chunks[c][i & BY_STATE_MASK] = value;
  }

  get byteLength(): number {
    return this.bytes;
  }
}
