// Types for proc-cpu.mjs, which a unit test imports.
export declare function processes(): Map<number, { ppid: number; pgrp: number; cpuMs: number; args: string }>;
export declare function threadsCpu(pid: number): Record<string, number>;
export declare function workbenchCpu(profile: string, pgid: number): Record<string, number>;
export declare function cpuDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number>;
