// Types for workbench-timings.mjs, which the integration suite (the tag) and a unit test import.
export declare const WORKBENCH_BENCH_TAG: 'workbench-bench';
export declare function readWorkbenchTimings(log: string): Record<string, unknown> | undefined;
