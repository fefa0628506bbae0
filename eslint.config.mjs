// Lint rules that keep the layout honest: src/ never reaches VS Code or Node (cli/ and extension/
// do). The order of the layers inside src/ is checked by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'process', 'url', 'crypto'];
const nodeBan = nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'src/ is the portable core; Node APIs belong in cli/ or extension/.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-artifacts/**', 'bench/results/**', 'bench/promela/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='eval']", message: 'never evaluate input' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/ is the simulation core and must not import vscode.' }, ...nodeBan] }],
    },
  },
  {
    // What ships never runs code it did not bring: no eval-like calls, no processes, no vm. The
    // workspace's files (patches, scenarios, kernel sources) are only ever read as data.
    files: ['extension/**/*.ts', 'media/**/*.ts', 'src/**/*.ts'],
    rules: { 'no-new-func': 'error', 'no-implied-eval': 'error' },
  },
  {
    files: ['extension/**/*.ts', 'media/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['child_process', 'node:child_process', 'vm', 'node:vm'].map((name) => ({ name, message: 'the extension runs no processes and evaluates no code' })) }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' } },
  },
);
