import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { BackendInfo, currentBackend, initBackend } from '../../src/accel';
import { CharmError } from '../../src/errors';
import { clearTransposeCache, transposeCacheBytes, withStockMatMuls } from '../../src/accel/tfjsKernels/wasmFixes';
import { runChild } from './helpers';

/** Runs fn with `name` as the tfjs backend and returns the values it produced. */
async function on<T extends tf.Tensor | tf.Tensor[]>(name: 'cpu' | 'wasm', fn: () => T): Promise<Float32Array[]> {
  const before = tf.getBackend();
  assert.ok(await tf.setBackend(name), `backend ${name}`);
  try {
    const out = tf.tidy(fn);
    const list: tf.Tensor[] = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(list);
    return values;
  } finally {
    await tf.setBackend(before);
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * Math.max(1, Math.abs(expected[i])))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Runs a snippet in a fresh Node process (tsx for TypeScript), as the CLI would. */

describe('backend', function () {
  let info: BackendInfo;

  before(async function () {
    info = await initBackend('wasm');
  });

  after(async function () {
    await tf.setBackend('wasm');
  });

  it('reports the wasm backend and its threads, and is idempotent', async function () {
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(Number.isInteger(info.threads) && info.threads >= 1, `threads ${info.threads}`);
    assert.equal(info.simd, true);
    const wanted = Number(process.env.CHARM_WASM_THREADS || os.availableParallelism());
    if (wanted > 1) {
      assert.match(info.detail, /threaded-SIMD build/, info.detail);
      assert.equal(info.threads, Math.min(wanted, 8), info.detail);
    } else {
      assert.equal(info.threads, 1, info.detail);
    }
    assert.equal(await initBackend('wasm'), info);
    assert.equal(currentBackend(), info);
  });

  it('registers UnsortedSegmentSum on wasm, matching cpu for float32 and int32', async function () {
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'), 'kernel registered');
    const ids = [0, 2, 0, -1, 4, 2, 7];
    const x = values(7 * 3, 1);
    const ints = Int32Array.from(values(7 * 3, 2), (v) => Math.round(v * 100));
    const run = () => [
      tf.unsortedSegmentSum(tf.tensor2d(x, [7, 3]), tf.tensor1d(ids, 'int32'), 5),
      tf.unsortedSegmentSum(tf.tensor2d(ints, [7, 3], 'int32'), tf.tensor1d(ids, 'int32'), 5),
      tf.unsortedSegmentSum(
        tf.tensor3d(values(200 * 4 * 8, 3), [200, 4, 8]),
        tf.tensor1d(
          Array.from({ length: 200 }, (_, i) => (i * 7) % 50),
          'int32',
        ),
        50,
      ),
    ];
    const [wf, wi, wl] = await on('wasm', run);
    const [cf, ci, cl] = await on('cpu', run);
    assert.equal(wf.length, 15);
    assertClose(wf, cf, 1e-5, 'float32');
    assert.deepEqual(Array.from(wi), Array.from(ci), 'int32');
    assertClose(wl, cl, 1e-4, 'rank 3');
    await on('wasm', () => {
      const r = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
      assert.equal(r.dtype, 'int32');
      assert.deepEqual(r.shape, [2]);
      return r;
    });
  });

  it('slices on wasm like cpu: contiguous rows straight from the heap, other slices by the stock kernel', async function () {
    const x = values(6 * 5 * 4, 4);
    const ints = Int32Array.from(values(6 * 4, 5), (v) => Math.round(v * 1000));
    const run = () => [
      tf.slice(tf.tensor2d(x, [30, 4]), [7, 0], [11, 4]), // contiguous rows
      tf.slice(tf.tensor3d(x, [6, 5, 4]), [2, 1, 0], [1, 3, 4]), // contiguous inside one outer index
      tf.slice(tf.tensor3d(x, [6, 5, 4]), [1, 1, 1], [3, 2, 2]), // strided
      tf.slice(tf.tensor2d(ints, [6, 4], 'int32'), [2, 0], [3, 4]),
      tf.slice(tf.tensor2d(x, [30, 4]), [30, 0], [0, 4]), // empty
    ];
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    assert.deepEqual(
      wasm.map((v) => v.length),
      [44, 12, 12, 12, 0],
    );
    wasm.forEach((v, k) => assert.deepEqual(Array.from(v), Array.from(cpu[k]), `slice ${k}`));
  });

  it('differentiates a tf.gather embedding on wasm like cpu', async function () {
    const table = values(10 * 4, 4);
    const w = values(6 * 4, 5);
    const ids = [3, 1, 3, 9, 0, 3];
    const run = () => {
      const g = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d(ids, 'int32')), tf.tensor2d(w, [6, 4]))));
      return g(tf.tensor2d(table, [10, 4]));
    };
    const [onWasm] = await on('wasm', run);
    const [onCpu] = await on('cpu', run);
    assertClose(onWasm, onCpu, 1e-5, 'embedding gradient');
    // row 3 was gathered three times: its gradient is the sum of three rows of w
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(onWasm[3 * 4 + j] - (w[j] + w[8 + j] + w[20 + j])) < 1e-5);
    assert.equal(onWasm[2 * 4], 0);
  });

  const combos: Array<[boolean, boolean]> = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  const [M, K, N] = [37, 53, 29];

  const names = [
    'matMul',
    'matMul rank 3',
    'batched matMul',
    'fused relu',
    'fused sigmoid',
    'fused linear',
    'fused batched relu',
    'fused size-1 bias elu',
    'fused batched prelu',
  ];
  function matMuls(ta: boolean, tb: boolean, withFused: boolean) {
    const a = values(M * K, 10);
    const b = values(K * N, 11);
    const bias = values(N, 12);
    return () => {
      const A = tf.tensor2d(a, ta ? [K, M] : [M, K]);
      const B = tf.tensor2d(b, tb ? [N, K] : [K, N]);
      const plain = [
        tf.matMul(A, B, ta, tb),
        tf.matMul(A.expandDims(0), B.expandDims(0), ta, tb), // rank 3, batch 1
        tf.matMul(tf.stack([A, A.mul(2)]), B, ta, tb), // batched (stock slow path)
      ];
      if (!withFused) return plain;
      const bias1 = tf.tensor1d(bias);
      return [
        ...plain,
        tf.fused.matMul({ a: A, b: B, transposeA: ta, transposeB: tb, bias: bias1, activation: 'relu' }),
        tf.fused.matMul({ a: A, b: B, transposeA: ta, transposeB: tb, bias: bias1, activation: 'sigmoid' }),
        tf.fused.matMul({ a: A, b: B, transposeA: ta, transposeB: tb, activation: 'linear' }),
        tf.fused.matMul({
          a: tf.stack([A, A.mul(-1)]) as tf.Tensor3D,
          b: tf.stack([B, B]) as tf.Tensor3D,
          transposeA: ta,
          transposeB: tb,
          bias: bias1,
          activation: 'relu',
        }),
        tf.fused.matMul({ a: A, b: B, transposeA: ta, transposeB: tb, bias: tf.tensor1d([0.3]), activation: 'elu' }),
        tf.fused.matMul({
          a: tf.stack([A, A]) as tf.Tensor3D,
          b: B,
          transposeA: ta,
          transposeB: tb,
          bias: bias1,
          activation: 'prelu',
          preluActivationWeights: tf.scalar(0.1),
        }),
      ];
    };
  }

  it('matMul and fused.matMul (bias + activation) with every transpose combination equal cpu', async function () {
    assert.equal(tf.getKernel('BatchMatMul', 'wasm').kernelFunc.name, 'patchedBatchMatMul');
    assert.equal(tf.getKernel('_FusedMatMul', 'wasm').kernelFunc.name, 'patchedFusedMatMul');
    for (const [ta, tb] of combos) {
      const wasm = await on('wasm', matMuls(ta, tb, true));
      const cpu = await on('cpu', matMuls(ta, tb, true));
      assert.equal(wasm.length, names.length);
      for (let i = 0; i < wasm.length; i++) assertClose(wasm[i], cpu[i], 1e-4, `${names[i]} tA=${ta} tB=${tb}`);
    }
  });

  it('stock kernels (fix switched off) still give correct plain matmuls', async function () {
    for (const [ta, tb] of combos) {
      const wasm = await on('wasm', () => withStockMatMuls(matMuls(ta, tb, false)));
      const cpu = await on('cpu', matMuls(ta, tb, false));
      for (let i = 0; i < wasm.length; i++) assertClose(wasm[i], cpu[i], 1e-4, `stock ${names[i]} tA=${ta} tB=${tb}`);
    }
  });

  it('reuses a transposed copy of b while b lives, and frees it afterwards', async function () {
    clearTransposeCache();
    const backend = tf.backend();
    const idsBefore = backend.numDataIds();
    const x = tf.tensor2d(values(6 * 40, 30), [6, 40]);
    const w = tf.tensor2d(values(50 * 40, 31), [50, 40]); // used as w^T
    const expected = await on('cpu', () => tf.matMul(tf.tensor2d(values(6 * 40, 30), [6, 40]), tf.tensor2d(values(50 * 40, 31), [50, 40]), false, true));
    const first = tf.matMul(x, w, false, true);
    assert.equal(transposeCacheBytes(), 50 * 40 * 4);
    const x2 = x.mul(2);
    const second = tf.matMul(x2, w, false, true);
    assert.equal(transposeCacheBytes(), 50 * 40 * 4, 'one copy, reused');
    assertClose(Float32Array.from(await first.data()), expected[0], 1e-4, 'first');
    assertClose(
      Float32Array.from(await second.data()),
      expected[0].map((v) => 2 * v),
      1e-4,
      'second (cached)',
    );
    const row = tf.tensor2d(values(40, 32), [1, 40]);
    const col = tf.matMul(x, row, false, true);
    assert.deepEqual(col.shape, [6, 1]);
    assert.equal(transposeCacheBytes(), 51 * 40 * 4);
    tf.dispose([w, row]);
    const other = tf.tensor2d(values(3 * 40, 33), [3, 40]);
    const third = tf.matMul(x, other, false, true); // sweeps the copies of the disposed w and row
    assert.equal(transposeCacheBytes(), 3 * 40 * 4);
    tf.dispose([x, x2, other, first, second, third, col]);
    clearTransposeCache();
    assert.equal(transposeCacheBytes(), 0);
    assert.equal(backend.numDataIds(), idsBefore, 'no wasm buffers leaked');
  });

  it('multiplies by the same data under two shapes (reshape shares the tensor id)', async function () {
    // The stock kernel caches XNNPACK operators per b id and crashes the wasm module here.
    const run = () => {
      const b = tf.tensor2d(values(24, 40), [4, 6]);
      return [tf.matMul(tf.ones([2, 4]), b), tf.matMul(tf.ones([2, 6]), b.reshape([6, 4])), tf.matMul(tf.ones([3, 4]), b)];
    };
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    for (let i = 0; i < wasm.length; i++) assertClose(wasm[i], cpu[i], 1e-5, `product ${i}`);
  });

  it('gives gradients through transposed matmuls like cpu', async function () {
    const x = values(8 * 5, 20);
    const w = values(5 * 6, 21);
    const run = () => {
      const f = (X: tf.Tensor, W: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a: X as tf.Tensor2D, b: W as tf.Tensor2D, bias: tf.ones([6]), activation: 'linear' })));
      return tf.grads(f)([tf.tensor2d(x, [8, 5]), tf.tensor2d(w, [5, 6])]);
    };
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    assertClose(wasm[0], cpu[0], 1e-4, 'dX');
    assertClose(wasm[1], cpu[1], 1e-4, 'dW');
  });

  it("throws a CharmError for an explicit 'tensorflow' without tfjs-node", async function () {
    try {
      require.resolve('@tensorflow/tfjs-node');
      this.skip(); // installed here: nothing to test
    } catch {
      // absent, as expected on this machine
    }
    await assert.rejects(initBackend('tensorflow'), (e: unknown) => {
      assert.ok(e instanceof CharmError, String(e));
      assert.match(e.message, /npm install @tensorflow\/tfjs-node/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('rejects a bad thread count or backend name with a CharmError', async function () {
    await assert.rejects(initBackend('wasm', { threads: 0 }), CharmError);
    await assert.rejects(initBackend('wasm', { threads: 1.5 }), CharmError);
    await assert.rejects(initBackend('gpu' as never), CharmError);
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('keeps stdout clean, leaves no process listeners and lets the process exit by itself (threaded build)', function () {
    const code = `
      const tf = require('@tensorflow/tfjs');
      const { initBackend } = require('./src/accel');
      initBackend('auto').then((info) => {
        const a = tf.randomNormal([256, 256]);
        tf.matMul(a, a, true, false).dataSync();
        tf.tensor([1, 2]).dataSync();
        process.stderr.write('INFO ' + JSON.stringify(info) + '\\n');
        process.stderr.write('LISTENERS ' + process.listenerCount('uncaughtException') + '/' + process.listenerCount('unhandledRejection') + '\\n');
      });`;
    const r = runChild(code);
    assert.equal(r.error, undefined, `child: ${r.error?.message} (did it hang?) stderr: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'nothing on stdout');
    const line = r.stderr.split('\n').find((l) => l.startsWith('INFO '));
    assert.ok(line, r.stderr);
    const childInfo = JSON.parse(line.slice(5)) as BackendInfo;
    assert.equal(childInfo.name, 'wasm');
    assert.equal(childInfo.threads, info.threads);
    // emscripten's rethrowing process listeners are removed
    assert.ok(r.stderr.includes('LISTENERS 0/0'), r.stderr);
  });

  it('uses the single-thread build with CHARM_WASM_THREADS=1', function () {
    const code = `
      require('./src/accel').initBackend('wasm').then((info) => process.stderr.write('INFO ' + JSON.stringify(info) + '\\n'));`;
    const r = runChild(code, { CHARM_WASM_THREADS: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const line = r.stderr.split('\n').find((l) => l.startsWith('INFO '));
    assert.ok(line, r.stderr);
    const childInfo = JSON.parse(line.slice(5)) as BackendInfo;
    assert.equal(childInfo.threads, 1);
    assert.match(childInfo.detail, /single-thread build/);
  });
});
