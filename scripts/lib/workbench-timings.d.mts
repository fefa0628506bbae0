// Types for workbench-timings.mjs, which the integration suite (the tag) and a unit test import.
export declare const WORKBENCH_BENCH_TAG: 'workbench-bench';
export declare function readWorkbenchTimings(log: string): Record<string, unknown> | undefined;
export declare const CPU_MARK: 'cpu-mark';
export declare const WORKBENCH_CPU_TAG: 'workbench-cpu';
export declare function readWorkbenchCpu(log: string): Record<string, { count: number; cpuMs: Record<string, number>; cpuMsPerCount: Record<string, number> }> | undefined;
export declare const FULL_SERIES_FILE: 'kvm-mmu-lab-bench-full-series.txt';
export declare const EDITOR_AB_FILE: 'kvm-mmu-lab-bench-editor-ab.txt';
export declare const EDITOR_AB_TAG: 'editor-ab';
