/**
 * What the guest-tables scope's packed model (model.ts) covers, as two small tables: by the kind
 * of a menu action, and by the kind of the frame an operation leaves running (its STEPs and the
 * RESUMEs of it paused). The search (search.ts) and the CLI's gate (cli/explore.ts) read them
 * through scopeLacks(): `--engine packed` runs on a scope only when nothing its menu offers is
 * lacking, and is otherwise refused with these names. A transition added to model.ts turns its
 * entry to true here, and only here; test/unit/explorer_packed_gt_search.test.ts holds each entry
 * to what apply() does (a covered action is never answered UNSUPPORTED over a core search, an
 * uncovered one always is), so the table cannot claim what the model does not do, nor the reverse.
 */
import type { MenuAction, Scope } from '../bound';
import { K_DELETE, K_FAULT, K_INVALIDATE, K_WRITE } from './layout';

/** The guest-tables menu's actions, by what the packed model must do for them. */
export type GtActionKind = 'access' | 'stopped-fault' | 'vmm-write' | 'guest-write' | 'delete-memslot' | 'invalidate';

/** Menu actions the model has (true) or answers UNSUPPORTED (false). */
export const ACTIONS_COVERED: Readonly<Record<GtActionKind, boolean>> = {
  // The access with its root reload and its fault run whole (gtpack22, stages 3a and 3b).
  'access': true,
  // --fault-window: the access whose fault stops after its guest walk (a paused fault frame; stage 3e).
  'stopped-fault': true,
  // The VMM's write of PD[0] (stage 3c): one step, no frame.
  'vmm-write': true,
  // The guest's own store: its trap decision, then (trapped) a write frame (stage 3d).
  'guest-write': true,
  // Under both slotZap values (stage 3e).
  'delete-memslot': true,
  // kvm_zap_all_rmap_sptes() without rmap_remove(), the flush, the free and the remap (stage 3d).
  'invalidate': true,
};

/** STEP and RESUME of a frame of each kind (layout.ts K_*): true when the model has them. */
export const FRAMES_COVERED: Readonly<Record<number, boolean>> = {
  [K_FAULT]: true,
  [K_WRITE]: true,
  [K_INVALIDATE]: true,
  [K_DELETE]: true,
};

const ACTION_NAMES: Readonly<Record<GtActionKind, string>> = {
  'access': 'the guest access',
  'stopped-fault': 'the stopped faults of --fault-window',
  'vmm-write': 'the untrapped write (by the VMM)',
  'guest-write': 'the trapped write (the guest\'s store)',
  'delete-memslot': 'memslot deletion',
  'invalidate': 'mmu-notifier invalidations',
};

const FRAME_NAMES: Readonly<Record<number, string>> = {
  [K_FAULT]: 'the steps and resumes of a stopped fault',
  [K_WRITE]: 'the steps and resumes of a trapped write',
  [K_INVALIDATE]: 'the steps and resumes of an invalidation',
  [K_DELETE]: 'the steps and resumes of a memslot deletion',
};

/** The kind of a guest-tables menu action. */
export function gtActionKind(a: MenuAction): GtActionKind {
  switch (a.t) {
    case 'access': return a.walked ? 'stopped-fault' : 'access';
    case 'guest-table-write': return a.by === 'guest' ? 'guest-write' : 'vmm-write';
    case 'delete-memslot': return 'delete-memslot';
    case 'invalidate': return 'invalidate';
    default: throw new Error(`packed_gt: '${a.t}' is not an action of the guest-tables scope`);
  }
}

/** The kind of frame an action of this kind leaves running or paused (0: none; it ends in its transition). */
const FRAME_LEFT: Readonly<Record<GtActionKind, number>> = {
  'access': 0,
  'stopped-fault': K_FAULT,
  'vmm-write': 0,
  'guest-write': K_WRITE,
  'delete-memslot': K_DELETE,
  'invalidate': K_INVALIDATE,
};

/** What the model lacks for one menu action: its own transition, the steps of the frame it leaves. */
export function actionLacks(a: MenuAction): string[] {
  const k = gtActionKind(a);
  const out: string[] = [];
  if (!ACTIONS_COVERED[k]) out.push(ACTION_NAMES[k]);
  const f = FRAME_LEFT[k];
  if (f && !FRAMES_COVERED[f]) out.push(FRAME_NAMES[f]);
  return out;
}

/** What the model lacks for the scope's whole menu, each named once, in menu order; empty when it covers it. */
export function scopeLacks(scope: Scope): string[] {
  const out = new Set<string>();
  for (const a of scope.menu) for (const x of actionLacks(a)) out.add(x);
  return [...out];
}
