/**
 * A write to a guest page table from outside the guest: the VMM storing through its own mapping of
 * guest memory, or a device. No KVM code runs and no lock is taken: guest memory changes, every
 * SPTE stays as it is, and KVM learns of it only when a fault next walks the entry (and, between a
 * fault's walk and its mmu_lock, when FNAME(fetch)'s FNAME(gpte_changed) re-reads it).
 * A write by the guest itself, trapped while KVM shadows the table (kvm_mmu_track_write()), is
 * guest_table_write_trapped.ts.
 */
import { hex } from '../kernel/geometry';
import { describeGuestPte, NOT_PRESENT } from '../mmu/guest_walk';
import { ModelInputError } from '../model/errors';
import type { GuestTableWriteFrame } from '../model/frames';
import type { Machine } from '../machine/machine';
import { withGuestPte } from '../scenario/guest_tables';

export function advanceGuestTableWrite(m: Machine, f: GuestTableWriteFrame): void {
  const state = m.state;
  const table = state.guestMemory.get(f.table);
  if (!table) throw new ModelInputError(`gfn ${hex(f.table)} holds no guest page table`);
  const old = table.entries.get(f.index) ?? NOT_PRESENT;
  // Tables are replaced, never changed in place: a cloned state shares them (state.ts).
  state.guestMemory = withGuestPte(state.guestMemory, f.table, f.index, { ...f.entry });
  m.emit(f, {
    kind: 'guest-table-write', anchor: 'guestTableWriteVmm', actor: 'userspace',
    text: `the VMM writes entry ${f.index} of the level-${table.level} guest table at gfn ${hex(f.table)} through its own mapping of guest memory: ${describeGuestPte(old)} -> ${describeGuestPte(f.entry)}; no trap, no lock, no SPTE changes (KVM sees it at the next guest walk)`,
  });
  f.done = true;
}
