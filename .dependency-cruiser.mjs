// The house's rules, checked by `npm run lint` (depcruise) and held to by test/unit/layers.test.ts.
// docs/architecture.md draws the same order and says what each folder is.

/** The core's folders, bottom first: a folder imports only itself and the folders before it. */
export const LAYERS = [
  'kernel', 'model', 'source', 'scenario', 'mmu', 'checks', 'machine', 'ops', 'run', 'explore',
  'patch', 'anchor', 'review', 'view', 'session', 'debug',
];

/** The front ends: each imports the core (src/), none imports another. */
export const FRONT_ENDS = ['cli', 'extension', 'media'];

/**
 * The forbidden dependencies for a tree whose core sits in `<root>src/` and whose front ends in
 * `<root>cli/`, `<root>extension/`, `<root>media/` (root '' for the project itself; a test passes
 * the path of a small tree of its own).
 */
export function forbiddenRules(root = '') {
  const at = (dir) => `^${root.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${dir}`;
  const upward = LAYERS.slice(0, -1).map((layer, i) => ({
    name: `layer-${layer}`,
    comment: `src/${layer}/ may import only ${['itself', ...LAYERS.slice(0, i).map((l) => `src/${l}/`)].join(', ')} (docs/architecture.md)`,
    severity: 'error',
    from: { path: at(`src/${layer}/`) },
    to: { path: at(`src/(${LAYERS.slice(i + 1).join('|')})/`) },
  }));
  return [
    {
      name: 'no-circular',
      comment: 'two files that import each other, through any path, are one tangled design (type-only imports count)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'core-outside-a-layer',
      comment: 'every file of src/ belongs to a layer folder (LAYERS)',
      severity: 'error',
      from: { path: at('src/[^/]+\\.ts$'), pathNot: at('src/platform\\.d\\.ts$') },
      to: {},
    },
    {
      name: 'core-imports-only-core',
      comment: 'src/ is the core: it imports nothing of the front ends, tests, benchmarks or scripts',
      severity: 'error',
      from: { path: at('src/') },
      to: { path: at(`(${[...FRONT_ENDS, 'test', 'bench', 'scripts'].join('|')})/`) },
    },
    {
      name: 'core-no-node',
      comment: 'src/ runs in Node, a Web Worker and a browser: no Node built-in module',
      severity: 'error',
      from: { path: at('src/') },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-no-vscode',
      comment: 'src/ knows nothing of VS Code: the extension translates',
      severity: 'error',
      from: { path: at('src/') },
      to: { path: '^vscode$' },
    },
    ...FRONT_ENDS.map((fe) => ({
      name: `front-end-${fe}`,
      comment: `${fe}/ imports the core, never code of another front end`,
      severity: 'error',
      from: { path: at(`${fe}/`) },
      to: { path: at(`(${FRONT_ENDS.filter((x) => x !== fe).join('|')})/.*\\.(ts|mjs|js)$`) },
    })),
  ];
}

export default {
  forbidden: forbiddenRules(),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|out|test-artifacts)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
