/**
 * A reader that stops early (`kvm-mmu-lab run reused-partial --json | head -1`) closes the pipe,
 * and the next write to it fails with EPIPE: Node ignores SIGPIPE and reports the failure as an
 * 'error' event on process.stdout, which, unhandled, prints a stack trace. Every command has done
 * its work when it writes (main() runs synchronously and sets process.exitCode before the event
 * arrives; explore writes once, after its search, and sets the code in the same tick), so the
 * command exits quietly with its usual status: 0 pass, 1 violation, and so on.
 */

type WriteError = Error & { code?: string };

export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: WriteError) => {
    if (e.code === 'EPIPE') process.exit();
    process.stderr.write(`kvm-mmu-lab: cannot write the output: ${e.message}\n`);
    process.exit(3);
  });
  // Progress and messages on a closed stderr (`2>&1 | head`) are dropped; stdout decides the exit.
  process.stderr.on('error', () => { /* nowhere left to say it */ });
}
