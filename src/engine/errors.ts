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
