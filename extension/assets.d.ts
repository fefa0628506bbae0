// Files bundled as text by scripts/build.mjs (loader '.patch': 'text').
declare module '*.patch' {
  const text: string;
  export default text;
}
