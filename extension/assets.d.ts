// Files bundled as text by scripts/build.mjs (loader '.patch': 'text').
declare module '*.patch' {
  const text: string;
  export default text;
}

// performance.now() at the first statement of an extension bundle: scripts/build.mjs puts it there
// (a banner) so that the entry (node.ts, web.ts) can say how long the bundle took to evaluate.
declare const __kvmMmuLabBundleStart: number | undefined;
