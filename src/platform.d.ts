/**
 * What every host the core runs in provides (Node 20 and its worker threads, the VS Code web
 * worker extension host, a webview, a browser) and the core may use, declared here because src/
 * compiles without the DOM or Node type libraries (so that neither `vscode` nor a Node module can
 * creep in). Only the parts the core calls; the other tsconfigs exclude this file and get the
 * hosts' real declarations (lib.dom, lib.webworker, @types/node).
 */
declare function setTimeout(callback: () => void, ms?: number): unknown;

/** A deep copy of plain data (the HTML structured clone). */
declare function structuredClone<T>(value: T): T;

/** The WHATWG Encoding API, UTF-8 only. */
declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare class TextDecoder {
  constructor(label?: 'utf-8', options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}

/** Forgiving base64 to a binary string (one char per byte); throws on characters outside the alphabet. */
declare function atob(data: string): string;

/** Web Crypto's digest (Node 20 has globalThis.crypto; browsers and workers in a secure context). */
declare const crypto: {
  readonly subtle: {
    digest(algorithm: 'SHA-1' | 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
  };
};
