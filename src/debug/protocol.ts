/**
 * The few Debug Adapter Protocol messages the session speaks, as plain JSON types (the protocol's
 * own names and fields; @vscode/debugprotocol is not a dependency, and the core needs only these).
 * https://microsoft.github.io/debug-adapter-protocol/specification
 */

export interface DapRequest {
  seq: number;
  type: 'request';
  command: string;
  arguments?: unknown;
}

export interface DapResponse {
  seq: number;
  type: 'response';
  request_seq: number;
  success: boolean;
  command: string;
  message?: string;
  body?: unknown;
}

export interface DapEvent {
  seq: number;
  type: 'event';
  event: string;
  body?: unknown;
}

export type DapMessage = DapRequest | DapResponse | DapEvent;

export interface DapSource {
  name: string;
  path: string;
}

export interface DapBreakpoint {
  id: number;
  verified: boolean;
  line?: number;
  message?: string;
  source?: DapSource;
}

export interface DapStackFrame {
  id: number;
  name: string;
  line: number;
  column: number;
  endLine?: number;
  source?: DapSource;
  presentationHint?: 'normal' | 'label' | 'subtle';
}

export interface DapThread {
  id: number;
  name: string;
}

export interface DapScope {
  name: string;
  variablesReference: number;
  expensive: boolean;
  indexedVariables?: number;
  namedVariables?: number;
}

export interface DapVariable {
  name: string;
  value: string;
  variablesReference: number;
  evaluateName?: string;
  indexedVariables?: number;
  namedVariables?: number;
  /** `attributes` holds 'changed' for a value the last step changed (docs/debugging.md). */
  presentationHint?: { kind?: string; attributes?: string[] };
}

/** What the session can do, answered to `initialize`. */
export const CAPABILITIES = {
  supportsConfigurationDoneRequest: true,
  supportsFunctionBreakpoints: true,
  supportsStepBack: true,
  supportsDataBreakpoints: true,
  supportsEvaluateForHovers: true,
  supportsRestartRequest: true,
  supportsTerminateRequest: true,
  exceptionBreakpointFilters: [
    { filter: 'violation', label: 'Violation', description: 'Stop after the step whose check fails (a stale TLB entry, a lost dirty page, ...).', default: true },
    { filter: 'skipped-flush', label: 'Skipped flush', description: 'Stop before a step where the code chooses not to flush remote TLBs.', default: false },
    { filter: 'mmu-lock-release', label: 'mmu_lock release', description: 'Stop before every step that releases mmu_lock.', default: false },
  ],
} as const;

export type ExceptionFilter = (typeof CAPABILITIES.exceptionBreakpointFilters)[number]['filter'];
