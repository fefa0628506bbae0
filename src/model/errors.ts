/**
 * An operation met a state the scenario made impossible to continue from (a gfn in no memslot,
 * an address the guest does not map): the scenario's fault, reported against its operation.
 * Anything else thrown from the core is a bug in the core.
 */
export class ModelInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelInputError';
  }
}

/** A run stopped at a resource cap its caller set (memory): neither the scenario's fault nor a bug. */
export class ResourceLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceLimitError';
  }
}

/**
 * The end of a switch over a run mode (FlushMode, SplitYield in modes.ts): the cases cover the
 * type, and a value from outside it stops with its name instead of taking a known branch
 * (kernel/variants.ts unknownPolicy() does the same for the variant's policies).
 */
export function unknownMode(mode: 'flushMode' | 'splitYield', value: never): never {
  throw new Error(`internal: unknown ${mode} ${JSON.stringify(value)}`);
}

/** Bytes as MiB to one decimal, as the searches' stop messages give them (memoryCapMessage(), shared.ts storeEndMessage()). */
export function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** The one wording of a stop at the memory cap (the runner's and the explorer's). */
export function memoryCapMessage(usedBytes: number, capBytes: number): string {
  return `stopped at the memory cap: ${mib(usedBytes)} MiB in use, the cap is ${mib(capBytes)} MiB`;
}
