/** The modes a run is made in, named by the scenario and the options: plain words, no behaviour. */

/**
 * How a remote TLB flush with a range behaves: bare metal flushes everything whatever the range;
 * a range-capable flush (a Hyper-V host) removes only the entries that meet the range.
 */
export type FlushMode = 'bare-metal' | 'range';

/** What a guest access does with the page. */
export type AccessKind = 'read' | 'write' | 'exec';

/**
 * When the split loop drops mmu_lock between huge pages (need_topup_split_caches_or_resched):
 * cache: when the split caches run dry, as the kernel does without a pending reschedule;
 * every: before every huge page (need_resched() always true, the most release points);
 * never: not at all.
 */
export type SplitYield = 'cache' | 'every' | 'never';
