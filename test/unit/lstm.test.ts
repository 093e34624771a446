import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { FusedLstmOptions, initBackend } from '../../src/accel';
import { lstmSequence, lstmSequenceWithState } from '../../src/model/lstm';
import { CONTROL } from '../../src/accel/simd/lstmHalves';
import { createLstmThreads, LstmThreads, WORKER_SOURCE } from '../../src/accel/simd/lstmThreads';
import { activeWasmHeap } from '../../src/accel/tfjsKernels/memory';
import { twoThreadLstmThreads } from '../../src/accel/lstm/twoThreadSequence';
import { runChild } from './helpers';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** A textbook LSTM from tfjs ops, differentiated by autodiff: the reference. */
function referenceLstm(x: tf.Tensor3D, r: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor2D {
  const [T, B] = x.shape;
  const U = r.shape[0];
  let h = h0;
  let c = c0;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const z = tf.add(tf.reshape(tf.slice(x, [t, 0, 0], [1, B, 4 * U]), [B, 4 * U]), tf.matMul(h, r));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
    h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
    hs.push(h);
  }
  return tf.concat(hs, 0) as tf.Tensor2D;
}

const VARIANTS: [string, 'cpu' | 'wasm', boolean][] = [
  ['cpu, fused cell kernel', 'cpu', true],
  ['cpu, op-by-op cell', 'cpu', false],
  ['wasm, fused cell kernel', 'wasm', true],
  ['wasm, op-by-op cell', 'wasm', false],
];

describe('fused LSTM', () => {
  for (const [label, backend, fused] of VARIANTS) {
    it(`custom gradient matches autodiff of a reference LSTM (${label})`, async () => {
      await initBackend(backend);
      const options: FusedLstmOptions = { fusedCell: fused };
      const [T, B, U] = [5, 3, 6];
      const x = tf.randomNormal([T, B, 4 * U], 0, 1, 'float32', 1) as tf.Tensor3D;
      const r = tf.randomNormal([U, 4 * U], 0, 0.5, 'float32', 2) as tf.Tensor2D;
      const h0 = tf.randomNormal([B, U], 0, 0.5, 'float32', 3) as tf.Tensor2D;
      const c0 = tf.randomNormal([B, U], 0, 0.5, 'float32', 4) as tf.Tensor2D;
      const probe = tf.randomNormal([T * B, U], 0, 1, 'float32', 5);
      const ours = tf.grads((xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) =>
        tf.sum(tf.mul(lstmSequence({ kind: 'rows', x: xi as tf.Tensor3D }, ri as tf.Tensor2D, hi as tf.Tensor2D, ci as tf.Tensor2D, options), probe)),
      );
      const reference = tf.grads((xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) =>
        tf.sum(tf.mul(referenceLstm(xi as tf.Tensor3D, ri as tf.Tensor2D, hi as tf.Tensor2D, ci as tf.Tensor2D), probe)),
      );
      const a = ours([x, r, h0, c0]);
      const b = reference([x, r, h0, c0]);
      assert.equal(a.length, 4);
      for (let k = 0; k < 4; k++) {
        assert.deepEqual(a[k].shape, b[k].shape);
        const scale = tf.tidy(() => tf.max(tf.abs(b[k])).dataSync()[0]);
        assert.ok(scale > 1e-3, `gradient ${k} should not vanish`);
        const diff = maxAbsDiff(a[k], b[k]);
        assert.ok(diff < 1e-4 * Math.max(1, scale), `gradient ${k} differs by ${diff}`);
      }
      // Forward values agree too, with and without the state-carrying variant.
      const value = lstmSequence({ kind: 'rows', x }, r, h0, c0, options);
      assert.ok(maxAbsDiff(value, referenceLstm(x, r, h0, c0)) < 1e-5);
      assert.ok(maxAbsDiff(value, lstmSequenceWithState(x, r, { h: h0, c: c0 }, options).outputs) < 1e-6);
      tf.dispose([x, r, h0, c0, probe, value, ...a, ...b]);
    });
  }

  for (const [label, backend, fused] of VARIANTS) {
    it(`a table of projections and ids trains like the gathered rows (${label})`, async () => {
      await initBackend(backend);
      const [T, B, U, V] = [4, 3, 5, 7];
      const table = tf.randomNormal([V, 4 * U], 0, 1, 'float32', 21) as tf.Tensor2D;
      const ids = tf.tensor1d([0, 3, 6, 6, 1, 2, 3, 3, 3, 5, 4, 0], 'int32');
      const r = tf.randomNormal([U, 4 * U], 0, 0.5, 'float32', 22) as tf.Tensor2D;
      const zeros = tf.zeros([B, U]) as tf.Tensor2D;
      const probe = tf.randomNormal([T * B, U], 0, 1, 'float32', 23);
      const viaTable = (chunkRows: number) =>
        tf.grads((t: tf.Tensor, ri: tf.Tensor) =>
          tf.sum(
            tf.mul(
              lstmSequence({ kind: 'table', table: t as tf.Tensor2D, ids, steps: T, batch: B }, ri as tf.Tensor2D, zeros, zeros, {
                fusedCell: fused,
                chunkRows,
              }),
              probe,
            ),
          ),
        );
      const viaRows = tf.grads((t: tf.Tensor, ri: tf.Tensor) =>
        tf.sum(tf.mul(referenceLstm(tf.reshape(tf.gather(t, ids), [T, B, 4 * U]) as tf.Tensor3D, ri as tf.Tensor2D, zeros, zeros), probe)),
      );
      const b = viaRows([table, r]);
      // Chunks of 1 step, 3 steps (a partial last chunk) and the whole sequence.
      for (const rows of [B, 3 * B, 1536]) {
        const a = viaTable(rows)([table, r]);
        for (let k = 0; k < 2; k++) assert.ok(maxAbsDiff(a[k], b[k]) < 1e-4, `chunk ${rows}: gradient ${k} differs by ${maxAbsDiff(a[k], b[k])}`);
        tf.dispose(a);
      }
      tf.dispose([table, ids, r, zeros, probe, ...b]);
    });
  }

  it('forward pass equals tf.layers.lstm given the same weights', async () => {
    await initBackend('cpu');
    const [T, B, I, U] = [7, 2, 5, 8];
    // Keras 2 (TF2) uses a true sigmoid; tfjs-layers defaults to the hard sigmoid of old Keras.
    const layer = tf.layers.lstm({ units: U, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] });
    const xs = tf.randomNormal([B, T, I], 0, 1, 'float32', 11) as tf.Tensor3D;
    const expected = layer.apply(xs) as tf.Tensor3D; // [B, T, U]
    const [kernel, recurrent, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    // A random bias, so the test covers the bias' gate order.
    const randomBias = tf.randomNormal(bias.shape, 0, 1, 'float32', 12) as tf.Tensor1D;
    layer.setWeights([kernel, recurrent, randomBias]);
    const expectedWithBias = layer.apply(xs) as tf.Tensor3D;
    const timeMajor = tf.transpose(xs, [1, 0, 2]);
    const proj = tf.reshape(tf.add(tf.matMul(tf.reshape(timeMajor, [T * B, I]), kernel), randomBias), [T, B, 4 * U]) as tf.Tensor3D;
    const zeros = tf.zeros([B, U]) as tf.Tensor2D;
    const ours = lstmSequence({ kind: 'rows', x: proj }, recurrent, zeros, zeros); // [T * B, U]
    const oursBatchMajor = tf.transpose(tf.reshape(ours, [T, B, U]), [1, 0, 2]);
    assert.ok(maxAbsDiff(oursBatchMajor, expected) > 1e-3, 'a different bias must change the output');
    assert.ok(maxAbsDiff(oursBatchMajor, expectedWithBias) < 1e-5);
  });
});

/** The gradients of sum(probe * lstm) w.r.t. x (or the table), R, h0 and c0, and the forward value. */
function lstmGradients(input: 'rows' | 'table', T: number, B: number, U: number, seed: number, options: FusedLstmOptions = {}): tf.Tensor[] {
  return tf.tidy(() => {
    const V = 7;
    const x = tf.randomNormal(input === 'rows' ? [T, B, 4 * U] : [V, 4 * U], 0, 1, 'float32', seed);
    const ids = tf.tensor1d(
      Array.from({ length: T * B }, (_, i) => (i * 5 + 3) % V),
      'int32',
    );
    const r = tf.randomNormal([U, 4 * U], 0, 0.3, 'float32', seed + 1) as tf.Tensor2D;
    const h0 = tf.randomNormal([B, U], 0, 0.5, 'float32', seed + 2) as tf.Tensor2D;
    const c0 = tf.randomNormal([B, U], 0, 0.5, 'float32', seed + 3) as tf.Tensor2D;
    const probe = tf.randomNormal([T * B, U], 0, 1, 'float32', seed + 4);
    const run = (xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) =>
      lstmSequence(
        input === 'rows' ? { kind: 'rows', x: xi as tf.Tensor3D } : { kind: 'table', table: xi as tf.Tensor2D, ids, steps: T, batch: B },
        ri as tf.Tensor2D,
        hi as tf.Tensor2D,
        ci as tf.Tensor2D,
        options,
      );
    const grads = tf.grads((xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) => tf.sum(tf.mul(run(xi, ri, hi, ci), probe)));
    return [...grads([x, r, h0, c0]), run(x, r, h0, c0)];
  });
}

function assertClose(a: tf.Tensor[], b: tf.Tensor[], label: string): void {
  assert.equal(a.length, b.length);
  for (let k = 0; k < a.length; k++) {
    assert.deepEqual(a[k].shape, b[k].shape, `${label}: output ${k} shape`);
    const scale = tf.tidy(() => tf.max(tf.abs(b[k])).dataSync()[0]);
    assert.ok(scale > 1e-3, `${label}: output ${k} should not vanish`);
    const diff = maxAbsDiff(a[k], b[k]);
    assert.ok(diff < 2e-5 * Math.max(1, scale), `${label}: output ${k} differs by ${diff} (scale ${scale})`);
  }
}

describe('LSTM time loop on two threads (wasm)', () => {
  before(async () => {
    await initBackend('wasm');
  });

  /** The same gradients computed by the one-thread fused path (already checked against autodiff above). */
  function oneThread(input: 'rows' | 'table', T: number, B: number, U: number, seed: number, chunkRows?: number): tf.Tensor[] {
    return lstmGradients(input, T, B, U, seed, { threads: false, chunkRows });
  }

  it('runs on the threaded build, with a worker when there are two cores', () => {
    assert.ok(activeWasmHeap()?.memory.buffer instanceof SharedArrayBuffer, 'the threaded build shares its memory');
    assert.equal(twoThreadLstmThreads(32), os.availableParallelism() > 1 ? 2 : 1);
    assert.equal(twoThreadLstmThreads(24), 0, 'units must be a multiple of 16');
  });

  for (const [input, T, B, U] of [
    ['rows', 5, 3, 32],
    ['rows', 1, 4, 16],
    ['table', 6, 5, 48],
    ['table', 9, 8, 16],
  ] as const) {
    it(`matches the one-thread path: ${input} input, T ${T}, B ${B}, U ${U}`, () => {
      // Chunks of 2 steps (a partial last one with T odd) in the backward pass, and the whole sequence.
      for (const chunkRows of [2 * B, 1536]) {
        const expected = oneThread(input, T, B, U, 40 + T, chunkRows);
        const before = tf.memory().numTensors;
        const actual = lstmGradients(input, T, B, U, 40 + T, { chunkRows });
        assert.equal(tf.memory().numTensors, before + actual.length, 'no tensors leak');
        assertClose(actual, expected, `chunks of ${chunkRows} rows`);
        tf.dispose([...expected, ...actual]);
      }
    });
  }

  it('finishes every job on this thread when the worker stops answering', () => {
    const heap = activeWasmHeap();
    assert.ok(heap);
    // A worker that says it is ready, then ignores the first job it is given.
    const silent = `
      const { workerData } = require('node:worker_threads');
      const control = new Int32Array(workerData.control);
      Atomics.store(control, ${CONTROL.READY}, 1);
      Atomics.notify(control, ${CONTROL.READY});
      Atomics.wait(control, ${CONTROL.JOB}, 0);`;
    const threads = createLstmThreads(heap.memory, { useWorker: true, peerTimeoutMs: 200, workerSource: silent }) as LstmThreads;
    assert.equal(threads.threads, 2, 'the worker started');
    const expected = oneThread('table', 4, 4, 32, 7);
    const actual = lstmGradients('table', 4, 4, 32, 7, { threads });
    assert.equal(threads.threads, 1, 'the silent worker is dropped');
    assertClose(actual, expected, 'after a lost worker');
    tf.dispose([...expected, ...actual]);
    threads.dispose();
  });

  it("lets the process exit by itself after training on two threads (the worker is unref'd)", function () {
    const code = `
      const tf = require('@tensorflow/tfjs');
      const { initBackend } = require('./src/accel');
      const { lstmSequence } = require('./src/model/lstm');
      const { twoThreadLstmThreads } = require('./src/accel/lstm/twoThreadSequence');
      initBackend('wasm').then(() => {
        const x = tf.randomNormal([3, 2, 64]);
        const r = tf.randomNormal([16, 64]);
        const zeros = tf.zeros([2, 16]);
        const g = tf.grads((xi, ri) => tf.sum(lstmSequence({ kind: 'rows', x: xi }, ri, zeros, zeros)))([x, r]);
        process.stderr.write('THREADS ' + twoThreadLstmThreads(16) + ' SUM ' + tf.sum(g[1]).dataSync()[0] + '\\n');
      });`;
    const child = runChild(code);
    assert.equal(child.error, undefined, `the child should exit by itself: ${child.error?.message} ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stderr, new RegExp(`THREADS ${os.availableParallelism() > 1 ? 2 : 1} SUM -?\\d`), child.stderr);
  });

  it('gets the same result when the worker answers only after this thread gave up on it', () => {
    const heap = activeWasmHeap();
    assert.ok(heap);
    // The real worker, asleep for 400 ms at the start of each job: late, but alive.
    // (The source is the loader's or bundler's printing of workerMain: match it loosely.)
    const late = WORKER_SOURCE.replace(/const outcome\s*=\s*halves\.runSteps\(/, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);\n$&');
    assert.notEqual(late, WORKER_SOURCE);
    const threads = createLstmThreads(heap.memory, { useWorker: true, peerTimeoutMs: 100, workerSource: late }) as LstmThreads;
    assert.equal(threads.threads, 2);
    const expected = oneThread('table', 6, 4, 32, 11);
    const actual = lstmGradients('table', 6, 4, 32, 11, { threads });
    assert.equal(threads.threads, 1, 'the late worker is dropped');
    // Let it wake up and write what it still would while this thread carries on.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    const again = lstmGradients('table', 6, 4, 32, 11, { threads });
    assertClose(actual, expected, 'with a late worker');
    assertClose(again, expected, 'after the late worker woke up');
    tf.dispose([...expected, ...actual, ...again]);
    threads.dispose();
  });

  it('runs both parts on this thread when the worker never starts', () => {
    const heap = activeWasmHeap();
    assert.ok(heap);
    const threads = createLstmThreads(heap.memory, { useWorker: true, peerTimeoutMs: 200, workerSource: 'setTimeout(() => {}, 60000);' }) as LstmThreads;
    assert.equal(threads.threads, 1);
    const expected = oneThread('rows', 3, 2, 16, 9);
    const actual = lstmGradients('rows', 3, 2, 16, 9, { threads });
    assertClose(actual, expected, 'without a worker');
    tf.dispose([...expected, ...actual]);
    threads.dispose();
  });
});
