/**
 * Loading @tensorflow/tfjs-node from CHARM_NATIVE_MODULES (where "Charm: Install Native Backend"
 * puts it), with fake packages in a temporary folder, each in a fresh process (a registered
 * backend cannot be taken back): a fake tfjs-node that registers a backend named 'tensorflow' on
 * the tfjs it requires must reach the engine's tfjs, although the folder holds its own decoy tfjs
 * and tfjs-core (as npm installs them beside it) that fail when loaded; a broken one falls back to
 * wasm with the reason, or is a one-line CharmError when 'tensorflow' was asked for.
 */
import * as assert from 'node:assert/strict';
import { runChild, tempDir, writeFiles } from './helpers';

const FAKE_TFJS_NODE = `
const tf = require('@tensorflow/tfjs');
const core = require('@tensorflow/tfjs-core');
const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
if (tf.registerBackend !== core.registerBackend) throw new Error('two tfjs-core instances');
core.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
for (const k of core.getKernelsForBackend('cpu')) core.registerKernel({ ...k, backendName: 'tensorflow' });
`;

const DECOY = `throw new Error('the decoy tfjs copy inside the native folder was loaded');`;

function nativeFolder(dir: string, main: string): void {
  const pkg = (name: string) => JSON.stringify({ name, version: '4.22.0', main: 'index.js' });
  writeFiles(dir, {
    'package.json': JSON.stringify({ name: 'charm-native', private: true }),
    'node_modules/@tensorflow/tfjs-node/package.json': pkg('@tensorflow/tfjs-node'),
    'node_modules/@tensorflow/tfjs-node/index.js': main,
    'node_modules/@tensorflow/tfjs/package.json': pkg('@tensorflow/tfjs'),
    'node_modules/@tensorflow/tfjs/index.js': DECOY,
    'node_modules/@tensorflow/tfjs-core/package.json': pkg('@tensorflow/tfjs-core'),
    'node_modules/@tensorflow/tfjs-core/index.js': DECOY,
  });
}

/** Runs initBackend(choice) in a fresh process with CHARM_NATIVE_MODULES=folder; returns what it printed. */
function run(folder: string, choice: string): { info?: { name: string; detail: string }; backend?: string; sum?: number[]; error?: string; stderr: string } {
  const code = `
    const tf = require('@tensorflow/tfjs');
    const { initBackend } = require('./src/accel');
    initBackend(${JSON.stringify(choice)}).then(
      (info) => {
        const sum = Array.from(tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).dataSync());
        process.stderr.write('RESULT ' + JSON.stringify({ info, backend: tf.getBackend(), sum }) + '\\n');
      },
      (e) => process.stderr.write('RESULT ' + JSON.stringify({ error: e.name + ': ' + e.message }) + '\\n'),
    );`;
  const r = runChild(code, { CHARM_NATIVE_MODULES: folder, CHARM_WASM_THREADS: '1' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no result; exit ${r.status}; stderr: ${r.stderr.slice(-2000)}`);
  return { ...(JSON.parse(line.slice(7)) as object), stderr: r.stderr };
}

describe('native backend from CHARM_NATIVE_MODULES', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup = () => undefined as void;
  before(() => ({ dir, cleanup } = tempDir('charm-native-')));
  after(() => cleanup());

  it("loads the folder's tfjs-node onto the engine's tfjs: its 'tensorflow' backend becomes current and computes", function () {
    const folder = `${dir}/good`;
    nativeFolder(folder, FAKE_TFJS_NODE);
    const r = run(folder, 'tensorflow');
    assert.equal(r.error, undefined, r.stderr);
    assert.equal(r.info?.name, 'tensorflow');
    assert.equal(r.backend, 'tensorflow');
    assert.deepEqual(r.sum, [4, 6]);
    assert.match(r.info?.detail ?? '', /@tensorflow\/tfjs-node 4\.22\.0 from .*good/);
  });

  it("'auto' takes it too", function () {
    const folder = `${dir}/good`;
    const r = run(folder, 'auto');
    assert.equal(r.backend, 'tensorflow', r.stderr);
  });

  it("a broken one: 'auto' falls back to wasm and says why", function () {
    const folder = `${dir}/broken`;
    nativeFolder(folder, `throw new Error('libtensorflow.so.2: cannot open shared object file');`);
    const r = run(folder, 'auto');
    assert.equal(r.error, undefined, r.stderr);
    assert.equal(r.backend, 'wasm');
    assert.deepEqual(r.sum, [4, 6]);
    assert.match(r.info?.detail ?? '', /tfjs-node not used: loading it from .*broken failed \(libtensorflow\.so\.2: cannot open shared object file\)/);
  });

  it("a broken one: an explicit 'tensorflow' is one line naming the cause and how to install", function () {
    const r = run(`${dir}/broken`, 'tensorflow');
    assert.match(r.error ?? '', /^CharmError: The 'tensorflow' backend needs @tensorflow\/tfjs-node/);
    assert.match(r.error ?? '', /CHARM_NATIVE_MODULES=DIR/);
    assert.match(r.error ?? '', /libtensorflow\.so\.2/);
    assert.ok(!(r.error ?? '').includes('\n'), 'one line');
  });

  it('a folder without tfjs-node is not an error: wasm as before', function () {
    const folder = `${dir}/empty`;
    writeFiles(folder, { 'package.json': '{}' });
    const r = run(folder, 'auto');
    assert.equal(r.backend, 'wasm', r.stderr);
    assert.doesNotMatch(r.info?.detail ?? '', /not used/);
  });
});
