/**
 * A count and its noun, singular for exactly one: "1 remote flush", "2 remote flushes",
 * "0 splits". The plural is given when it is not the noun and an "s".
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
