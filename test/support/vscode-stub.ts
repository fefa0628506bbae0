/**
 * A stand-in for the `vscode` module, enough for activate() and for setting up the lab outside VS
 * Code: the activation bench (bench/activation-probe.ts) and test/unit/activation.test.ts load the
 * extension with it. It records the commands and views registered; every other call is a no-op
 * (it returns an object whose methods do nothing), configuration reads give the default. Tests can
 * give it files (an in-memory workspace.fs that records reads), settings and tabs, and read the
 * messages shown.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, resolve } from 'node:path';

/** Anything: each property is a no-op function returning another such object; assignments stick. */
function anything(): Record<string, unknown> {
  const values = new Map<PropertyKey, unknown>();
  const target = function () { /* no-op */ } as unknown as Record<string, unknown>;
  return new Proxy(target, {
    get(_t, key) {
      if (key === 'then') return undefined; // not a promise
      if (values.has(key)) return values.get(key);
      return (..._args: unknown[]) => anything();
    },
    set(_t, key, value) {
      values.set(key, value);
      return true;
    },
    apply: () => anything(),
  });
}

function namespace<T extends object>(explicit: T): T & Record<string, unknown> {
  return new Proxy(explicit as T & Record<string, unknown>, {
    get(t, key) {
      if (key in t) return (t as Record<PropertyKey, unknown>)[key];
      if (key === 'then') return undefined;
      return (..._args: unknown[]) => anything();
    },
  });
}

class Uri {
  private constructor(readonly scheme: string, readonly authority: string, readonly path: string) {}
  static file(path: string): Uri {
    return new Uri('file', '', path);
  }
  static parse(value: string): Uri {
    const m = /^([a-z][\w+.-]*):\/\/([^/]*)(.*)$/i.exec(value);
    return m ? new Uri(m[1], m[2], m[3] || '/') : Uri.file(value);
  }
  static from(parts: { scheme: string; authority?: string; path?: string }): Uri {
    return new Uri(parts.scheme, parts.authority ?? '', parts.path ?? '/');
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, base.authority, [base.path.replace(/\/$/, ''), ...segments].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { path?: string }): Uri {
    return new Uri(this.scheme, this.authority, change.path ?? this.path);
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
}

class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of this.listeners) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** A file of the stub's workspace file system: its type (vscode.FileType) and its text, or only a size it claims. */
export interface StubFile {
  type: number;
  text?: string;
  /** The size stat() reports when there is no text (a huge file that is never made). */
  size?: number;
}

const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

export interface VscodeStub {
  /** The module to hand to require('vscode'). */
  module: Record<string, unknown>;
  /** Command id → handler, as registered. */
  commands: Map<string, (...args: unknown[]) => unknown>;
  /** View id → provider, as registered. */
  views: Map<string, { resolveWebviewView(...args: unknown[]): unknown }>;
  /** Tree view id → its data provider (window.createTreeView), as created. */
  treeViews: Map<string, { getChildren(element?: unknown): unknown }>;
  /** Debug type → its adapter descriptor factory, as registered. */
  debugFactories: Map<string, { createDebugAdapterDescriptor(...args: unknown[]): unknown }>;
  /** A context for activate(), for an extension in `extensionPath` with this package.json. */
  context(extensionPath: string, packageJSON: unknown): { subscriptions: { dispose(): unknown }[] } & Record<string, unknown>;
  /** The workspace file system (vscode.workspace.fs), by URI string; empty at first. */
  files: Map<string, StubFile>;
  /** Every URI workspace.fs.readFile was called with, in order (a test sees what was read whole). */
  reads: string[];
  /** Messages shown (showErrorMessage, showWarningMessage, showInformationMessage), as [kind, text]. */
  shown: [string, string][];
  /** Settings read by key ("kvmMmuLab.kernelTree"); a key not here gives the default. */
  settings: Map<string, unknown>;
}

export function vscodeStub(): VscodeStub {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const views = new Map<string, { resolveWebviewView(...args: unknown[]): unknown }>();
  const debugFactories = new Map<string, { createDebugAdapterDescriptor(...args: unknown[]): unknown }>();
  const treeViews = new Map<string, { getChildren(element?: unknown): unknown }>();
  const disposable = (fn: () => void = () => {}) => ({ dispose: fn });
  const files = new Map<string, StubFile>();
  const reads: string[] = [];
  const shown: [string, string][] = [];
  const settings = new Map<string, unknown>();
  const notFound = (uri: Uri) => Object.assign(new Error(`${uri.toString()}: no such file (stub)`), { code: 'FileNotFound' });
  const fs = {
    stat(uri: Uri) {
      const f = files.get(uri.toString());
      if (!f) return Promise.reject(notFound(uri));
      return Promise.resolve({ type: f.type, size: f.text !== undefined ? new TextEncoder().encode(f.text).byteLength : (f.size ?? 0), ctime: 0, mtime: 0 });
    },
    readFile(uri: Uri) {
      reads.push(uri.toString());
      const f = files.get(uri.toString());
      if (!f) return Promise.reject(notFound(uri));
      if (f.type === FileType.Directory) return Promise.reject(new Error(`${uri.toString()}: is a directory (stub)`));
      return Promise.resolve(new TextEncoder().encode(f.text ?? ''));
    },
  };
  const show = (kind: string) => (text: string) => {
    shown.push([kind, text]);
    return Promise.resolve(undefined);
  };
  const module = {
    FileType,
    Uri,
    EventEmitter,
    ThemeColor: class { constructor(readonly id: string) {} },
    Range: class { constructor(...args: unknown[]) { void args; } },
    Position: class { constructor(readonly line: number, readonly character: number) {} },
    Disposable: class { constructor(readonly dispose: () => void) {} },
    TabInputText: class { constructor(readonly uri: Uri) {} },
    DebugAdapterInlineImplementation: class { constructor(readonly implementation: unknown) {} },
    CancellationTokenSource: class {
      private readonly emitter = new EventEmitter<void>();
      readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
      cancel() {
        if (this.token.isCancellationRequested) return;
        this.token.isCancellationRequested = true;
        this.emitter.fire();
      }
      dispose() { this.emitter.dispose(); }
    },
    MarkdownString: class {
      value = '';
      isTrusted: unknown;
      supportHtml = false;
      constructor(value = '') { this.value = value; }
      appendMarkdown(text: string) { this.value += text; return this; }
      // As VS Code's MarkdownString.appendText (escapeMarkdownSyntaxTokens, then '>'): Markdown's punctuation gets a backslash.
      appendText(text: string) { this.value += text.replace(/[\\`*_{}[\]()#+\-!~>]/g, '\\$&'); return this; }
      appendCodeblock(code: string, language = '') { this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`; return this; }
    },
    Hover: class { constructor(readonly contents: unknown, readonly range?: unknown) {} },
    StatusBarAlignment: { Left: 1, Right: 2 },
    OverviewRulerLane: { Left: 1, Center: 2, Right: 4, Full: 7 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    commands: namespace({
      registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
        if (commands.has(id)) throw new Error(`command '${id}' already exists`);
        commands.set(id, handler);
        return disposable(() => commands.delete(id));
      },
      executeCommand: (id: string, ...args: unknown[]) => Promise.resolve(commands.get(id)?.(...args)),
    }),
    window: namespace({
      registerWebviewViewProvider(id: string, provider: { resolveWebviewView(...args: unknown[]): unknown }) {
        views.set(id, provider);
        return disposable(() => views.delete(id));
      },
      createTreeView(id: string, options: { treeDataProvider: { getChildren(element?: unknown): unknown } }) {
        treeViews.set(id, options.treeDataProvider);
        // Never on screen here, so its visibility never changes: the event takes a listener and never calls it.
        return { visible: false, onDidChangeVisibility: () => ({ dispose() { /* nothing to undo */ } }), dispose: () => treeViews.delete(id) };
      },
      visibleTextEditors: [],
      activeTextEditor: undefined,
      tabGroups: namespace({ all: [] as unknown[] }),
      showErrorMessage: show('error'),
      showWarningMessage: show('warning'),
      showInformationMessage: show('info'),
      // Runs the task at once, with a token that is never cancelled.
      withProgress: (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
        Promise.resolve(task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: () => disposable() })),
    }),
    workspace: namespace({
      getConfiguration: (section?: string) => ({
        get: <T>(key: string, fallback?: T) => {
          const full = section ? `${section}.${key}` : key;
          return settings.has(full) ? (settings.get(full) as T) : fallback;
        },
        update: () => Promise.resolve(),
      }),
      workspaceFolders: undefined,
      textDocuments: [],
      fs,
      asRelativePath: (u: Uri | string) => (typeof u === 'string' ? u : u.path.replace(/^\//, '')),
    }),
    languages: namespace({}),
    debug: namespace({
      registerDebugAdapterDescriptorFactory(type: string, factory: { createDebugAdapterDescriptor(...args: unknown[]): unknown }) {
        debugFactories.set(type, factory);
        return disposable(() => debugFactories.delete(type));
      },
      registerDebugConfigurationProvider: () => disposable(),
    }),
    env: namespace({ uiKind: 1 }),
    // VS Code's l10n with no bundle: the English message, its {0} places filled.
    l10n: namespace({ t: (message: string, ...args: (string | number)[]) => message.replace(/\{(\d+)\}/g, (place, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : place)) }),
  };
  return {
    module,
    commands,
    views,
    treeViews,
    debugFactories,
    files,
    reads,
    shown,
    settings,
    context(extensionPath, packageJSON) {
      const extensionUri = Uri.file(extensionPath);
      return {
        subscriptions: [],
        extensionUri,
        extensionPath,
        extension: { packageJSON, extensionUri },
        globalStorageUri: Uri.joinPath(extensionUri, '.global-storage'),
      };
    },
  };
}

/** Makes require('vscode') give the stub's module, until the function it returns is called. */
export function requireVscodeAs(stub: VscodeStub): () => void {
  const loader = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return stub.module;
    // A bundled text file (scripts/build.mjs loads *.patch as text): its text as the default export.
    if (request.endsWith('.patch')) {
      const parent = rest[0] as { filename?: string } | undefined;
      return { __esModule: true, default: readFileSync(resolve(dirname(parent?.filename ?? '.'), request), 'utf8') };
    }
    return load.call(this, request, ...rest);
  };
  return () => {
    loader._load = load;
  };
}
