import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MatVec } from '../../src/accel';
import { matVecFor, PARALLEL_MIN_VALUES } from '../../src/accel/matVec/choice';
import { ParallelMatVec, parallelMatVec, parallelMatVecAvailable } from '../../src/accel/simd/parallelMatVec';
import { wasmMatVec, wasmSimdAvailable } from '../../src/accel/simd/wasmMatVec';

// scripts/build-wasm.js is plain JS, shared with the build, so it is required rather than imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const { build, kernelsDir } = require('../../scripts/build-wasm.js') as { build: () => Promise<Record<string, string>>; kernelsDir: string };

/** mv's product with a vector drawn from `seed` equals the plain loop's, column by column. */
function expectPlainProduct(mv: MatVec, m: Float32Array, seed: number): void {
  const { rows, cols } = mv;
  const v = Float32Array.from({ length: rows }, (_, i) => Math.cos(i * seed));
  const out = mv.multiply(v);
  assert.equal(out.length, cols);
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += v[r] * m[r * cols + c];
    assert.ok(Math.abs(s - out[c]) < 1e-4, `seed ${seed}, column ${c}: ${out[c]} vs ${s}`);
  }
}

describe('wasm SIMD matvec', () => {
  it('is available on this Node', () => assert.ok(wasmSimdAvailable()));

  for (const [rows, cols] of [
    [4, 4],
    [3, 5],
    [17, 66],
    [256, 1089],
  ]) {
    it(`matches a plain product for [${rows}, ${cols}], padding included`, () => {
      const m = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7));
      const mv = wasmMatVec(m, rows, cols);
      for (const seed of [1, 2]) expectPlainProduct(mv, m, seed);
    });
  }

  for (const [rows, cols] of [
    [5, 8],
    [17, 66],
    [256, 1089],
  ]) {
    it(`the two-thread product matches a plain product for [${rows}, ${cols}], and so does its one-thread fallback`, () => {
      assert.ok(parallelMatVecAvailable());
      const m = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.3));
      const mv = parallelMatVec(m, rows, cols);
      const check = (seed: number) => expectPlainProduct(mv, m, seed);
      check(1);
      check(2);
      assert.equal(mv.threads, 2, 'the worker answered');
      // Without its worker (as after a timeout) every column is computed on this thread.
      mv.dispose();
      assert.equal(mv.threads, 1);
      check(3);
    });
  }

  it('the sampler splits only large matrices over two threads, and only when asked', () => {
    const big = matVecFor('wasm', { twoThreads: true }).factory(new Float32Array(PARALLEL_MIN_VALUES), 1024, PARALLEL_MIN_VALUES / 1024);
    const small = matVecFor('wasm', { twoThreads: true }).factory(new Float32Array(256 * 1024), 256, 1024);
    const single = matVecFor('wasm').factory(new Float32Array(PARALLEL_MIN_VALUES), 1024, PARALLEL_MIN_VALUES / 1024);
    try {
      assert.equal((big as Partial<ParallelMatVec>).threads, os.availableParallelism() > 1 ? 2 : undefined);
      assert.equal((small as Partial<ParallelMatVec>).threads, undefined);
      assert.equal((single as Partial<ParallelMatVec>).threads, undefined);
      assert.equal(matVecFor('cpu', { twoThreads: true }).name, 'cpu');
    } finally {
      [big, small, single].forEach((mv) => mv.dispose());
    }
  });

  it('the committed modules are compiled from the .wat sources', async () => {
    const files = await build();
    assert.deepEqual(Object.keys(files).sort(), ['lstmKernelsWasm.ts', 'matvecWasm.ts']);
    for (const [name, expected] of Object.entries(files)) {
      assert.equal(fs.readFileSync(path.join(kernelsDir, name), 'utf8'), expected, `${name} is stale: run node scripts/build-wasm.js`);
    }
  });
});
