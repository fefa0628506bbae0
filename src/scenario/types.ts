/**
 * A scenario file: the geometry, the memslots, the roots (each an L1-managed address space for L2
 * with its guest mappings), the vCPUs, and the list of operations to run, in order. See
 * docs/scenarios.md for the format; the file's shape is ./shape.ts (scenario.schema.json is generated from it).
 */
import type { Level } from '../kernel/geometry';
import type { FlushMode } from '../model/modes';
import type { AccessKind } from '../model/modes';
import type { PausePoint } from '../model/frames';
import type { GuestPte } from '../model/state';
import type { SplitYield } from '../model/modes';
import type { ViolationKind } from '../model/step';

export type Expectation = 'pass' | 'violation' | `violation:${ViolationKind}`;

export interface ScenarioMemslot {
  id: number;
  baseGfn: number;
  npages: number;
  hostPfn: number;
  hostLevel: Level;
}

export interface ScenarioMapping {
  l2: number;
  gfn: number;
  level: Level;
  access: number;
}

export interface ScenarioRoot {
  name: string;
  guestTableGfn: number;
  mappings: ScenarioMapping[];
  /** Explicit gfns of the guest's lower tables, "level:l2Base" -> gfn; the rest are assigned. */
  guestTables: Array<{ level: Level; l2: number; gfn: number }>;
}

/**
 * A guest page table the file writes out entry by entry (`guestMemory`), beside the ones the roots'
 * mappings compile to: a table at a gfn no mapping's path uses, or a page that is the guest's data
 * and is also read as a table (the "unexpected role" report's setup). Entries not listed are not present.
 */
export interface ScenarioGuestTable {
  gfn: number;
  level: Level | 4;
  entries: Array<{ index: number; pte: GuestPte }>;
}

interface OpBase {
  /** Name by which a later `resume` finds this operation; defaults to its index. */
  id?: string;
  /** Stop the operation here and run the next ones; a `resume` continues it. */
  pause?: PausePoint;
  /** 1-based line in the scenario file, for messages. */
  line?: number;
}

export type ScenarioOp =
  | (OpBase & { op: 'access'; vcpu: number; root: string; addr: number; kind: AccessKind })
  | (OpBase & { op: 'enable-dirty-logging'; slot: number; manualProtect: boolean; initiallySet: boolean })
  | (OpBase & { op: 'clear-dirty-log'; slot: number; first: number; gfns: number[]; /** Bits in the bitmap userspace passes, from `first` (the file's `pages`). */ pages?: number })
  | (OpBase & { op: 'get-dirty-log'; slot: number })
  | (OpBase & { op: 'invalidate'; gfn: number; npages: number })
  /**
   * A write of one guest page-table entry. `by: "vmm"`: from outside the guest, untrapped. `by:
   * "guest"`: the guest's own store by vCPU `vcpu`, trapped and emulated while the table's gfn is
   * write-tracked (src/ops/guest_table_write_trapped.ts).
   */
  | (OpBase & { op: 'guest-table-write'; by: 'vmm'; table: number; index: number; entry: GuestPte })
  | (OpBase & { op: 'guest-table-write'; by: 'guest'; vcpu: number; table: number; index: number; entry: GuestPte })
  /** KVM_SET_USER_MEMORY_REGION with size 0: delete memslot `slot` (its id). */
  | (OpBase & { op: 'delete-memslot'; slot: number })
  | (OpBase & { op: 'resume'; target: string });

export interface Scenario {
  name: string;
  title: string;
  description: string;
  entries: number;
  flushMode: FlushMode;
  splitYield: SplitYield;
  /** Variant the scenario is meant to be read with; the run's --variant overrides it. */
  variant: string;
  memslots: ScenarioMemslot[];
  roots: ScenarioRoot[];
  /** Guest tables written out entry by entry, beside the compiled ones (optional). */
  guestMemory?: ScenarioGuestTable[];
  vcpus: number;
  operations: ScenarioOp[];
  /** What the author expects, per variant name: "pass", "violation" or "violation:<kind>" (checked by tests). */
  expect?: Record<string, Expectation>;
}
