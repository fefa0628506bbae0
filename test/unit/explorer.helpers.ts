/** Shared by the explorer tests: the small bound they search (the CLI's default is larger). */
import type { Bound } from '../../src/explore/scope';

/** E = 2, up to 4 KVM operations (faults, enable and clear dirty log) and 2 guest accesses. */
export const TEST_BOUND: Bound = { entries: 2, ops: 4, accesses: 2, pages: 'few', kinds: ['enable', 'clear'] };
