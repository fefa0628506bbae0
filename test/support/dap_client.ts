/**
 * A small Debug Adapter Protocol client for the unit tests of the debug session: requests in,
 * as VS Code sends them, and the responses and events the session posts back. Shared by
 * test/unit/debug_session.test.ts and test/unit/debug_data_breakpoints.test.ts.
 */
import assert from 'node:assert/strict';
import { MmuDebugSession } from '../../src/debug/session';
import type { DapEvent, DapMessage, DapResponse } from '../../src/debug/protocol';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DAP bodies are read loosely, as a client would
export type Body = Record<string, any>;

export class DapClient {
  readonly session: MmuDebugSession;
  private seq = 1;
  private out: DapMessage[] = [];
  constructor() {
    this.session = new MmuDebugSession((m) => this.out.push(m));
  }

  /** Sends a request; returns its response and the events posted with it. */
  send(command: string, args?: unknown): { response: DapResponse; events: DapEvent[] } {
    this.out = [];
    this.session.handle({ seq: this.seq++, type: 'request', command, arguments: args });
    const response = this.out.find((m): m is DapResponse => m.type === 'response');
    assert.ok(response, `no response to ${command}`);
    return { response, events: this.out.filter((m): m is DapEvent => m.type === 'event') };
  }

  ok(command: string, args?: unknown): Body {
    const { response } = this.send(command, args);
    assert.equal(response.success, true, `${command} failed: ${response.message}`);
    return (response.body ?? {}) as Body;
  }

  /** Sends a request that moves; returns the stopped event's body. */
  stop(command: string, args?: unknown): Body {
    const { response, events } = this.send(command, args);
    assert.equal(response.success, true, `${command} failed: ${response.message}`);
    const stopped = events.find((e) => e.event === 'stopped');
    assert.ok(stopped, `${command} did not stop`);
    return stopped.body as Body;
  }

  /** The variablesReference of a scope of the top frame of `thread`. */
  scopeRef(thread: number, name: string): number {
    const frames = this.ok('stackTrace', { threadId: thread }).stackFrames as Body[];
    const scopes = this.ok('scopes', { frameId: frames[0].id }).scopes as Body[];
    return scopes.find((s) => s.name === name)!.variablesReference as number;
  }

  /** The variables of a container, by name. */
  children(ref: number): Map<string, Body> {
    return new Map((this.ok('variables', { variablesReference: ref }).variables as Body[]).map((v) => [v.name, v]));
  }

  eval(expression: string): string {
    return this.ok('evaluate', { expression, context: 'watch' }).result as string;
  }
}
