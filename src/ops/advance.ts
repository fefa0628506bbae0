/** One step of whatever operation a frame holds: the dispatch the runner and the explorer share. */
import { advanceClearLog, advanceEnableLog, advanceGetLog } from './dirty_log';
import { advanceFault } from './fault';
import { advanceInvalidate } from './invalidate';
import { advanceGuestTableWrite } from './guest_table_write';
import { advanceGuestTableWriteTrapped } from './guest_table_write_trapped';
import { advanceMemslotDelete } from './memslot_delete';
import type { OpFrame } from '../model/frames';
import type { Machine } from '../machine/machine';

export function advanceFrame(m: Machine, f: OpFrame): void {
  switch (f.kind) {
    case 'fault': advanceFault(m, f); break;
    case 'enable-dirty-logging': advanceEnableLog(m, f); break;
    case 'clear-dirty-log': advanceClearLog(m, f); break;
    case 'get-dirty-log': advanceGetLog(m, f); break;
    case 'invalidate': advanceInvalidate(m, f); break;
    case 'guest-table-write': if (f.by === 'guest') advanceGuestTableWriteTrapped(m, f); else advanceGuestTableWrite(m, f); break;
    case 'delete-memslot': advanceMemslotDelete(m, f); break;
  }
}
