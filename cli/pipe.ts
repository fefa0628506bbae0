/**
 * A reader that stops early (`kvm-mmu-lab run reused-partial --json | head -1`) closes the pipe,
 * and the next write to it fails with EPIPE: Node ignores SIGPIPE and reports the failure as an
 * 'error' event on process.stdout, which, unhandled, prints a stack trace. Every command has done
 * its work when it writes, writes once and sets its status in the same tick (main()'s `onExit`
 * puts it in process.exitCode at once), and the event comes later, so the command exits quietly
 * with its usual status: 0 pass, 1 violation, and so on.
 * Any other failed write (stdout redirected to a full disk, `> /dev/full`) is the user's
 * environment, not a verdict and not a bug: exit 2 with the reason in words (./files.ts).
 */
import { EXIT_USAGE } from './exit';
import { fsReason } from './files';

type WriteError = Error & { code?: string };

export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: WriteError) => {
    if (e.code === 'EPIPE') process.exit();
    process.stderr.write(`kvm-mmu-lab: cannot write the output to stdout: ${fsReason(e)}\n`);
    process.exit(EXIT_USAGE);
  });
  // Progress and messages on a closed stderr (`2>&1 | head`) are dropped; stdout decides the exit.
  process.stderr.on('error', () => { /* nowhere left to say it */ });
}
