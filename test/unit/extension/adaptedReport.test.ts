/** What the user is told about an adapted model: the status bar tooltip and the model view's row, from adapted/ on disk. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ModelState } from '../../../src/extension/ipc/inferenceClient';
import { buildModelReport } from '../../../src/extension/modelReport';
import { readModelSummary } from '../../../src/extension/modelStore';
import { modelRows } from '../../../src/extension/modelView/reportText';
import { statusView } from '../../../src/extension/status';
import { tempDir, writeFiles } from '../helpers';

const READY = (adaptedFiles?: number): ModelState => ({
  kind: 'ready',
  info: {
    neural: true,
    memory: null,
    dir: '/m/adapted',
    step: 300,
    bestValLoss: 1.5,
    parameters: 1000,
    backend: 'wasm',
    backendDetail: 'SIMD',
    savedAt: '',
    adaptedFiles,
  },
});

function meta(step: number, savedAt: string, adaptation?: object): string {
  const model = { cell: 'lstm', vocabSize: 10, embedding: 4, units: 8, layers: 1 };
  return JSON.stringify({
    format: 'charm-checkpoint',
    version: 1,
    model,
    training: {},
    corpus: {},
    progress: { step },
    history: { train: [], val: [] },
    backend: 'wasm',
    savedAt,
    adaptation,
  });
}

describe('an adapted model in the status bar and the model view', () => {
  it('the tooltip says how many saved files the model in use was adapted to', () => {
    assert.match(statusView({ model: READY(3), inlineEnabled: true }).tooltip, /step 300, .*parameters, adapted to 3 saved files\./);
    assert.match(statusView({ model: READY(1), inlineEnabled: true }).tooltip, /adapted to 1 saved file\./);
    assert.doesNotMatch(statusView({ model: READY(0), inlineEnabled: true }).tooltip, /adapted/);
    assert.doesNotMatch(statusView({ model: READY(undefined), inlineEnabled: true }).tooltip, /adapted/);
  });

  it('the model view shows a current adapted/ and not a stale one', () => {
    const tmp = tempDir();
    try {
      const adaptation = { base: { step: 300, savedAt: 'T1' }, files: ['/w/a.ts', '/w/b.ts'], chars: 900, steps: 40, lossBefore: 1.9, lossAfter: 1.4 };
      writeFiles(tmp.dir, { 'best/config.json': meta(300, 'T1'), 'adapted/config.json': meta(300, 'T9', adaptation) });
      const report = buildModelReport(tmp.dir, readModelSummary(tmp.dir), READY(2));
      assert.deepEqual(report.adaptation, { files: 2, steps: 40, lossBefore: 1.9, lossAfter: 1.4 });
      const row = modelRows(report).find(([k]) => k === 'Adapted')?.[1];
      assert.equal(row, 'to 2 saved files (40 steps; loss on them 1.900 → 1.400 nats/char)');
      writeFiles(tmp.dir, { 'best/config.json': meta(500, 'T2') });
      const stale = buildModelReport(tmp.dir, readModelSummary(path.join(tmp.dir)), READY(0));
      assert.equal(stale.adaptation, undefined);
      assert.equal(
        modelRows(stale).find(([k]) => k === 'Adapted'),
        undefined,
      );
    } finally {
      tmp.cleanup();
    }
  });
});
