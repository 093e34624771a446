// Lint rules, run by `npm run lint` (and `npm test`). @eslint/js and typescript-eslint's
// type-aware recommended sets, plus the layering rules the README states: only src/extension.ts and
// src/extension/host/** talk to VS Code, the VS Code side never loads tfjs, and src/accel is reached
// only through its index.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Node's globals, for the plain .js/.mjs/.cjs files (TypeScript gets them from @types/node).
const nodeGlobals = Object.fromEntries(
  'require module exports __dirname __filename process console Buffer URL setTimeout clearTimeout setInterval clearInterval setImmediate globalThis'
    .split(' ')
    .map((name) => [name, 'readonly']),
);

const vscodeOnlyInHost = {
  name: 'vscode',
  message: 'Only src/extension.ts and src/extension/host/** may import vscode: the rest must run without VS Code (CLI, child processes, tests).',
};
// The speed-up code (src/accel) is fenced behind its index: tests and benchmarks, which test and
// measure its parts, may reach inside; the product code may not.
const accelOnlyByIndex = {
  group: ['**/accel/*', '!**/accel/index'],
  message: 'Import src/accel through its index (src/accel/index.ts), the one entry to the speed-up code.',
};
const noTfjs = {
  group: ['@tensorflow/*'],
  message: 'The VS Code side never loads tfjs: the model runs in the trainer and inference child processes (src/extension/ipc).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'media/**', '.e2e/**', '.cache/**', 'bench/results/**', 'charm-model/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: nodeGlobals,
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The convention tsc's noUnusedLocals already accepts: `_` names and rest siblings are unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // tfjs's idiom: an op's result asserted to the rank it has (`tf.add(a, b) as tf.Tensor2D`).
      '@typescript-eslint/no-unnecessary-type-assertion': [
        'error',
        {
          typesToIgnore: ['tf.Scalar', 'tf.Tensor1D', 'tf.Tensor2D', 'tf.Tensor3D', 'tf.Tensor4D', 'tf.Tensor2D[]'],
        },
      ],
      // Tensor shapes print as `2,3` inside `[...]` in error messages on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // Off: an async function without await is how this code implements a Promise-returning interface
      // (suggesters, save hooks, waitFor predicates); a forgotten await is caught by no-floating-promises
      // and no-misused-promises instead.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost] }],
    },
  },
  {
    files: ['src/**'],
    ignores: ['src/accel/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost], patterns: [accelOnlyByIndex] }] },
  },
  {
    files: ['src/extension.ts', 'src/extension/host/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noTfjs, accelOnlyByIndex] }] },
  },
  {
    files: ['src/extension/completion/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost], patterns: [noTfjs, accelOnlyByIndex] }] },
  },
  {
    // Code that runs inside VS Code in the e2e tests: the electron suite and a fixture extension.
    files: ['test/e2e/electron/**', 'test/e2e/fixtures/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS files: require is how they import.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
