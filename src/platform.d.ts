/**
 * What every host the core runs in provides (Node, a worker thread, a Web Worker, a browser) and
 * the core may use, declared here because src/ compiles without the DOM or Node type libraries
 * (so that neither `vscode` nor a Node module can creep in). Only the parts the core calls.
 */
declare function setTimeout(callback: () => void, ms?: number): unknown;
