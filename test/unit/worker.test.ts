import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { tempDir } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

// Loads the threaded wasm build (emscripten's pthread workers), trains a small LSTM on two threads
// and runs a two-thread product: each of src/accel's workers must start and answer, or its runner
// reports one thread.
const ENTRY = `
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/accel';
import { twoThreadLstmThreads } from './src/accel/lstm/twoThreadSequence';
import { parallelMatVec } from './src/accel/simd/parallelMatVec';
import { lstmSequence } from './src/model/lstm';

void initBackend('wasm').then((info) => {
  const x = tf.randomNormal([3, 2, 64]) as tf.Tensor3D;
  const r = tf.randomNormal([16, 64]) as tf.Tensor2D;
  const zeros = tf.zeros([2, 16]) as tf.Tensor2D;
  const g = tf.grads((xi, ri) => tf.sum(lstmSequence({ kind: 'rows', x: xi as tf.Tensor3D }, ri as tf.Tensor2D, zeros, zeros)))([x, r]);
  const lstm = twoThreadLstmThreads(16) + ' ' + Number.isFinite(tf.sum(g[1]).dataSync()[0]);
  const mv = parallelMatVec(Float32Array.from({ length: 8 * 16 }, (_, i) => i % 7), 8, 16);
  const out = mv.multiply(Float32Array.from({ length: 8 }, (_, i) => i + 1));
  let expected = 0;
  for (let r = 0; r < 8; r++) expected += (r + 1) * ((r * 16 + 15) % 7);
  process.stderr.write('BUILD ' + info.detail + '\\nLSTM ' + lstm + ' MATVEC ' + mv.threads + ' ' + (out[15] === expected) + '\\n');
  mv.dispose();
});
`;

describe("src/accel's workers in a bundled build", function () {
  this.timeout(120_000);
  const twoCores = os.availableParallelism() > 1;
  const threaded = twoCores && process.env.CHARM_WASM_THREADS !== '1';

  // esbuild.mjs's options for the Node bundles, without and with --production's minify.
  for (const minify of [false, true]) {
    it(`start and answer from the ${minify ? 'minified ' : ''}esbuild bundle`, async () => {
      const { dir, cleanup } = tempDir('charm-workers-');
      try {
        const outfile = path.join(dir, 'entry.js');
        await esbuild.build({
          stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
          outfile,
          bundle: true,
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          minify,
          external: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'],
          logLevel: 'silent',
        });
        assert.ok(fs.statSync(outfile).size > 0);
        const child = spawnSync(process.execPath, [outfile], {
          env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(child.error, undefined, `the bundle should exit by itself: ${child.error?.message} ${child.stderr}`);
        assert.equal(child.status, 0, child.stderr);
        if (threaded) assert.match(child.stderr, /BUILD .*threaded-SIMD build/, child.stderr);
        // The LSTM runs on two threads on the threaded build only (shared memory); the product always has its worker.
        assert.match(child.stderr, new RegExp(`LSTM ${threaded ? 2 : 0} true MATVEC 2 true`), child.stderr);
      } finally {
        cleanup();
      }
    });
  }
});
