// The lab's command handlers, by id. The shell registered every command with VS Code at activation
// (extension/shell.ts) and forwards each call here once the lab is loaded; each controller puts its
// own handlers in, and the lab is complete only when every contributed command has exactly one.
import { COMMANDS, type CommandId } from './commands';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command takes its own arguments, from VS Code
export type CommandHandler = (...args: any[]) => unknown;
export type CommandHandlers = Record<CommandId, CommandHandler>;

export class CommandTable {
  private readonly handlers = new Map<CommandId, CommandHandler>();

  register(id: CommandId, handler: CommandHandler): void {
    if (this.handlers.has(id)) throw new Error(`the command ${id} has two handlers`);
    this.handlers.set(id, handler);
  }

  /** Every handler; throws naming the commands no controller took. */
  all(): CommandHandlers {
    const missing = Object.values(COMMANDS).filter((id) => !this.handlers.has(id));
    if (missing.length) throw new Error(`no handler for the command${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    return Object.fromEntries(this.handlers) as CommandHandlers;
  }
}

/** What a command that fails does: the log and an error message say why, and it resolves to undefined. */
export function guarded(report: (message: string) => void) {
  return <A extends unknown[], R>(fn: (...args: A) => R | Promise<R>) => async (...args: A): Promise<R | undefined> => {
    try {
      return await fn(...args);
    } catch (error) {
      report((error as Error).message ?? String(error));
      return undefined;
    }
  };
}

export type Guard = ReturnType<typeof guarded>;
