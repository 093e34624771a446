import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelState } from '../../../src/extension/ipc/inferenceClient';
import { buildModelReport } from '../../../src/extension/modelReport';
import { findCheckpoint, modelRoot, readModelSummary, thinHistory } from '../../../src/extension/modelStore';
import { modelViewHtml } from '../../../src/extension/modelViewHtml';
import { statusView } from '../../../src/extension/status';
import { tempDir, writeFiles } from '../helpers';

const READY: ModelState = {
  kind: 'ready',
  info: {
    neural: true,
    memory: null,
    dir: '/m/best',
    step: 1200,
    bestValLoss: 1.234,
    parameters: 360_000,
    backend: 'wasm',
    backendDetail: 'SIMD',
    savedAt: '',
  },
};

describe('status bar text', () => {
  it('always contains "Charm" and the state', () => {
    const training = { progress: 0.425, step: 120, loss: 2.1, etaSeconds: 95, stopping: false };
    assert.match(statusView({ model: READY, training, inlineEnabled: true }).text, /Charm: training 42%/);
    const ready = statusView({ model: READY, inlineEnabled: true });
    assert.match(ready.text, /Charm: ready/);
    assert.match(ready.tooltip, /wasm/, 'the backend is in the tooltip');
    assert.match(statusView({ model: READY, inlineEnabled: false }).text, /Charm: off/);
    assert.match(statusView({ model: { kind: 'none', message: '' }, inlineEnabled: true }).text, /Charm: no model/);
    assert.match(statusView({ model: { kind: 'failed', message: 'boom' }, inlineEnabled: true }).tooltip, /boom/);
    assert.match(statusView({ model: { kind: 'loading' }, inlineEnabled: true }).text, /Charm: loading/);
  });

  it('shows the ETA and the stopping state in the tooltip while training', () => {
    const v = statusView({
      model: { kind: 'none', message: '' },
      training: { progress: 1.2, step: 5, loss: null, etaSeconds: 95, stopping: true },
      inlineEnabled: true,
    });
    assert.match(v.text, /training 100%/);
    assert.match(v.tooltip, /stopping/);
    assert.match(v.tooltip, /ETA 1m 35s/);
  });
});

describe('model store and model view', () => {
  it('finds the model in the workspace storage, else the global one', () => {
    assert.equal(modelRoot('/ws', '/global'), path.join('/ws', 'model'));
    assert.equal(modelRoot(undefined, '/global'), path.join('/global', 'model'));
  });

  it('reads a checkpoint summary without tfjs, preferring best/', () => {
    const { dir, cleanup } = tempDir();
    try {
      const meta = (step: number) =>
        JSON.stringify({
          model: { cell: 'lstm', vocabSize: 10, embedding: 4, units: 8, layers: 1 },
          training: { seqLength: 64 },
          corpus: { sources: ['/w'], files: 2, chars: 100, trainChars: 90, valChars: 10, unknownChars: 0 },
          progress: {
            step,
            epoch: 0,
            bestValLoss: 1.5,
            bestStep: step,
            elapsedSeconds: 3,
            charsSeen: 1,
            batchInEpoch: 0,
            evalsWithoutImprovement: 0,
            learningRateScale: 1,
          },
          history: {
            train: [
              [1, 3],
              [2, 2.5],
            ],
            val: [[2, 2.6]],
          },
          backend: 'wasm',
          savedAt: '2026-01-01T00:00:00Z',
        });
      writeFiles(dir, {
        'latest/config.json': meta(7),
        'latest/weights.bin': Buffer.alloc(40),
        'best/config.json': meta(5),
        'best/weights.bin': Buffer.alloc(40),
      });
      assert.equal(findCheckpoint(dir), path.join(dir, 'best'));
      const summary = readModelSummary(dir);
      assert.equal(summary?.meta.progress.step, 5);
      assert.equal(summary?.weightBytes, 40);
      assert.equal(readModelSummary(dir, 'latest')?.meta.progress.step, 7);
      const report = buildModelReport(dir, summary, READY);
      assert.equal(report.model?.parameters, 10 * 4 + 4 * 32 + 8 * 32 + 32 + 8 * 10 + 10);
      assert.deepEqual(report.history.val, [[2, 2.6]]);
      assert.equal(report.inference.backend, 'wasm');
      fs.rmSync(path.join(dir, 'best'), { recursive: true });
      fs.rmSync(path.join(dir, 'latest'), { recursive: true });
      assert.equal(readModelSummary(dir), undefined);
    } finally {
      cleanup();
    }
  });

  it('thins long loss histories to bucket means', () => {
    const points = Array.from({ length: 1000 }, (_, i): [number, number] => [i + 1, i % 2]);
    const thin = thinHistory(points, 100);
    assert.equal(thin.length, 100);
    assert.ok(thin.every(([, l]) => Math.abs(l - 0.5) < 1e-9));
    assert.equal(thin[99][0], 1000);
    assert.deepEqual(thinHistory([[1, 2]], 100), [[1, 2]]);
  });

  it('serves the view under a strict CSP: no inline script, one nonce, assets from the extension only', () => {
    const html = modelViewHtml(
      { cspSource: 'vscode-resource:', scriptUri: 'vscode-resource:/dist/webview/modelView.js', styleUri: 'vscode-resource:/media/modelView.css' },
      'N0NCE',
    );
    assert.match(html, /default-src 'none'/);
    assert.match(html, /script-src 'nonce-N0NCE'/);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|https?:\/\//);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="N0NCE" src="vscode-resource:/dist/webview/modelView.js">']);
    // The script is built from src/extension/modelView/webview.ts (see modelView/webview.test.ts).
    for (const asset of ['modelView.css', 'icon.png']) {
      assert.ok(fs.existsSync(path.resolve(__dirname, '..', '..', '..', 'media', asset)), asset);
    }
  });
});
