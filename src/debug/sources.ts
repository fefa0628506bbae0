/**
 * Where the debugger's frames and breakpoints are in the reviewer's own files, through the core's
 * anchoring (src/anchor/anchor.ts): a step's statement where it was found; an outer frame at the
 * line of its call to the next frame's function (else at the function's first line); a line
 * breakpoint on the steps anchored at that line. A file not given, or a step not anchored, gives
 * a frame without source.
 */
import { anchorSources, baseName, type AnchorFound, type SourceFile } from '../anchor/anchor';
import { anchorIdOf, type AnchorId } from '../kernel/anchors';
import { indexFunctions, type FunctionSpan } from '../source/cfunc';
import type { Step } from '../model/step';
import type { DapSource } from './protocol';

export interface Location {
  source: DapSource;
  line: number;
  endLine: number;
}

interface Indexed {
  file: SourceFile;
  lines: string[];
  byName: Map<string, FunctionSpan>;
}

/** A line breakpoint resolved: the anchors at that line (empty: unverified, with why). */
export interface LineResolution {
  ids: AnchorId[];
  line: number;
  message?: string;
}

export class SourceMap {
  private readonly files: Indexed[];
  private readonly found = new Map<AnchorId, AnchorFound>();

  constructor(files: readonly SourceFile[]) {
    this.files = files.map((file) => {
      const lines = file.text.split('\n');
      const byName = new Map<string, FunctionSpan>();
      for (const s of indexFunctions(lines)) if (!byName.has(s.name)) byName.set(s.name, s);
      return { file, lines, byName };
    });
    for (const r of anchorSources([...files])) if (r.found) this.found.set(r.id, r);
  }

  private source(path: string): DapSource {
    return { name: baseName(path), path };
  }

  /** The step's statement, where the anchoring found it. */
  stepLocation(step: Step): Location | undefined {
    const id = anchorIdOf(step.anchor);
    const a = id && this.found.get(id);
    return a ? { source: this.source(a.file), line: a.line, endLine: a.endLine } : undefined;
  }

  /** An outer frame: `fn`'s call to `callee` (first such line in its body), else its first line. */
  callLocation(fn: string, callee: string): Location | undefined {
    for (const ix of this.files) {
      const span = ix.byName.get(fn);
      if (!span) continue;
      for (let l = span.start + 1; l <= span.end; l++) {
        if (ix.lines[l - 1].includes(`${callee}(`)) return { source: this.source(ix.file.path), line: l, endLine: l };
      }
      return { source: this.source(ix.file.path), line: span.start, endLine: span.start };
    }
    return undefined;
  }

  /** The given file a breakpoint's path names: the same path, else the same base name. */
  private fileFor(path: string): Indexed | undefined {
    return this.files.find((f) => f.file.path === path) ?? this.files.find((f) => baseName(f.file.path) === baseName(path));
  }

  /** The anchors whose statement covers `line` of `path`; none with the reason and the nearest anchored lines. */
  resolveLine(path: string, line: number): LineResolution {
    const ix = this.fileFor(path);
    if (!ix) {
      const given = this.files.map((f) => baseName(f.file.path)).join(', ') || 'none';
      return { ids: [], line, message: `${baseName(path)} is not one of the files the session anchors steps in (given: ${given})` };
    }
    const mine = [...this.found.values()].filter((a) => a.file === ix.file.path);
    const ids = mine.filter((a) => a.line <= line && line <= a.endLine).map((a) => a.id);
    if (ids.length) return { ids, line: Math.min(...mine.filter((a) => ids.includes(a.id)).map((a) => a.line)) };
    const near = [...new Set(mine.map((a) => a.line))].sort((a, b) => Math.abs(a - line) - Math.abs(b - line) || a - b).slice(0, 3).sort((a, b) => a - b);
    return { ids: [], line, message: `no modelled step is anchored at line ${line} of ${baseName(path)}${near.length ? `; the nearest are lines ${near.join(', ')}` : ''}` };
  }
}
