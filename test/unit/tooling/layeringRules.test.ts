// The layering rules of eslint.config.mjs (vscode only at the edge, no tfjs on the VS Code side,
// src/accel only through its index)
// really reject a bad import: linting a few lines as if they were a file at each place.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..', '..');
const SOURCE = [
  "import * as vscode from 'vscode';",
  "import * as tf from '@tensorflow/tfjs';",
  "import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';",
  'export const used = [vscode, tf, setThreadsCount];',
  '',
].join('\n');

/** The modules whose import `file` may not have, according to the project's eslint config. */
async function restrictedAt(file: string, source = SOURCE): Promise<string[]> {
  // Type information is not needed for import rules, and the probe file does not exist.
  const { configs } = (await import('typescript-eslint')).default;
  const eslint = new ESLint({ cwd: root, overrideConfig: [configs.disableTypeChecked] });
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  assert.ok(
    result.messages.every((m) => !m.fatal),
    JSON.stringify(result.messages),
  );
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => /'([^']+)' import/.exec(m.message)?.[1] ?? m.message);
}

describe('lint: layering rules', function () {
  this.timeout(60_000);
  const ALL = ['vscode', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];
  const TFJS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];

  it('only src/extension.ts and src/extension/host/** may import vscode', async () => {
    for (const file of [
      'src/model/probe.ts',
      'src/training/probe.ts',
      'src/cli/probe.ts',
      'src/extension/inference/probe.ts',
      'src/extension/probe.ts',
      'bench/probe.ts',
      'test/unit/probe.ts',
    ]) {
      assert.ok((await restrictedAt(file)).includes('vscode'), file);
    }
    assert.ok(!(await restrictedAt('src/extension/host/probe.ts')).includes('vscode'));
  });

  it('the VS Code side (extension.ts, host/, completion/) never imports tfjs', async () => {
    assert.deepEqual(await restrictedAt('src/extension.ts'), TFJS);
    assert.deepEqual(await restrictedAt('src/extension/host/probe.ts'), TFJS);
    assert.deepEqual(await restrictedAt('src/extension/completion/probe.ts'), ALL);
    assert.deepEqual(await restrictedAt('src/extension/inference/probe.ts'), ['vscode']);
  });

  it('code outside src/accel reaches it only through its index (tests and benchmarks may reach inside)', async () => {
    // From src/<folder>/probe.ts: the index, then two files inside.
    const imports = (prefix: string) =>
      [
        `import { initBackend } from '${prefix}accel';`,
        `import { initWasm } from '${prefix}accel/tfjsWasm/load';`,
        `import { parallelMatVec } from '${prefix}accel/simd/parallelMatVec';`,
        'export const used = [initBackend, initWasm, parallelMatVec];',
        '',
      ].join('\n');
    const inside = ['../accel/tfjsWasm/load', '../accel/simd/parallelMatVec'];
    for (const file of ['src/model/probe.ts', 'src/training/probe.ts', 'src/cli/probe.ts']) {
      assert.deepEqual(await restrictedAt(file, imports('../')), inside, file);
    }
    assert.deepEqual(await restrictedAt('src/extension/host/probe.ts', imports('../../')), ['../../accel/tfjsWasm/load', '../../accel/simd/parallelMatVec']);
    assert.deepEqual(await restrictedAt('src/extension/completion/probe.ts', imports('../../')), [
      '../../accel/tfjsWasm/load',
      '../../accel/simd/parallelMatVec',
    ]);
    assert.deepEqual(await restrictedAt('src/accel/lstm/probe.ts', imports('../../')), []);
    assert.deepEqual(await restrictedAt('test/unit/probe.ts', imports('../../src/')), []);
    assert.deepEqual(await restrictedAt('bench/probe.ts', imports('../src/')), []);
  });
});
