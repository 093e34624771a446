import * as assert from 'node:assert/strict';
import { blankSampleNote, corpusRows, modelRows, sampleCaption, subtitle, trainingLine } from '../../../../src/extension/modelView/reportText';
import { emptyReport, trainedReport } from './reportFixture';

const row = (rows: [string, string][], label: string) => rows.find(([k]) => k === label)?.[1];

describe('model view text', () => {
  it("sums up the model in the subtitle, with the completion process's state", () => {
    assert.equal(subtitle(trainedReport()), 'LSTM 2×256 · 1,234,567 parameters · completing with the wasm backend');
    assert.equal(subtitle({ ...trainedReport(), inference: { state: 'loading' } }), 'LSTM 2×256 · 1,234,567 parameters · completion process: loading');
    assert.equal(subtitle(emptyReport()), 'No model yet: run "Charm: Train on Workspace".');
  });

  it('writes the model table with the shared formats', () => {
    const rows = modelRows(trainedReport());
    assert.equal(row(rows, 'Cell'), 'LSTM, 2 layers of 256 units');
    assert.equal(row(rows, 'Parameters'), '1,234,567');
    assert.equal(row(rows, 'Size'), '1.5 KB weights, 3.0 MB on disk');
    assert.equal(row(rows, 'Steps'), '12,000 (epoch 3)');
    assert.equal(row(rows, 'Best validation loss'), '1.235 nats/char at step 11500');
    assert.equal(row(rows, 'Training time'), '1m 35s');
    assert.equal(row(rows, 'Trained with'), 'wasm backend, seq 100, batch 32, lr 0.002');
    assert.equal(row(rows, 'Completes with'), 'wasm (SIMD)');
    assert.ok(row(rows, 'Saved'));
  });

  it('handles a model without a validation loss, one layer, no training settings, no completion process', () => {
    const r = trainedReport();
    r.model = { ...r.model!, layers: 1 };
    r.progress = { ...r.progress!, bestValLoss: null, bestStep: null, seqLength: undefined };
    r.inference = { state: 'failed', message: 'The completion process crashed.' };
    const rows = modelRows(r);
    assert.equal(row(rows, 'Cell'), 'LSTM, 1 layer of 256 units');
    assert.equal(row(rows, 'Best validation loss'), '-');
    assert.equal(row(rows, 'Trained with'), 'wasm backend');
    assert.equal(row(rows, 'Completes with'), 'The completion process crashed.');
    assert.equal(row(modelRows({ ...r, inference: { state: 'stopped' } }), 'Completes with'), 'stopped');
  });

  it('writes the corpus table, one source a line', () => {
    const rows = corpusRows(trainedReport());
    assert.equal(row(rows, 'Files'), '1,200');
    assert.equal(row(rows, 'Training / validation'), '1,800,000 / 200,000');
    assert.equal(row(rows, 'Sources'), '/ws/a\n/ws/b');
  });

  it('says there is no model or corpus yet', () => {
    assert.deepEqual(modelRows(emptyReport()), [['Model', 'none']]);
    assert.deepEqual(corpusRows(emptyReport()), [['Corpus', '-']]);
  });

  it('shows a training line only while training, its share clamped to 0-100%', () => {
    assert.equal(trainingLine(trainedReport()), undefined);
    const training = { progress: 0.425, step: 120, loss: 2.1, etaSeconds: 95, stopping: false };
    assert.equal(trainingLine({ ...trainedReport(), training }), 'Training: 42% · step 120 · loss 2.100 · ETA 1m 35s');
    assert.equal(
      trainingLine({ ...trainedReport(), training: { ...training, progress: 1.3, loss: null, etaSeconds: null } }),
      'Training: 100% · step 120 · loss -',
    );
  });

  it('captions samples by temperature and explains a blank sample', () => {
    assert.equal(sampleCaption(0), 'temperature 0 (most likely)');
    assert.equal(sampleCaption(0.75), 'temperature 0.75');
    assert.match(blankSampleNote(''), /^\(only blank characters/);
    assert.match(blankSampleNote('def '), /^\n\(only blank characters/, 'on its own line after a prime');
  });
});
