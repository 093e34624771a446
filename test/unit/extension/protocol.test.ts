import * as assert from 'node:assert/strict';
import {
  HostToInference,
  InferenceToHost,
  isHostToInference,
  isHostToTrainer,
  isInferenceToHost,
  isTrainerToHost,
  TrainerToHost,
} from '../../../src/extension/protocol';

/** What Node IPC does to a message (JSON serialization). */
const wire = <T>(m: T): unknown => JSON.parse(JSON.stringify(m));

describe('message protocol', () => {
  it('accepts every well-formed message after a trip over the wire', () => {
    const trainer: TrainerToHost[] = [
      {
        type: 'started',
        info: {
          backend: 'wasm',
          backendDetail: 'd',
          parameters: 1,
          model: { cell: 'lstm', layers: 1, units: 8, embedding: 4, vocabSize: 10 },
          corpusSummary: 's',
          files: 1,
          chars: 2,
          resumed: false,
          fineTuning: false,
          startStep: 0,
        },
      },
      { type: 'step', step: 1, epoch: 0, loss: 2.5, progress: 0.1, etaSeconds: 9, charsPerSec: 1000 },
      { type: 'eval', step: 50, valLoss: null, valAccuracy: null, best: true },
      { type: 'checkpoint', step: 50, path: '/m/best', best: true },
      { type: 'warning', message: 'w' },
      { type: 'done', stopReason: 'budget', step: 50, stepsThisRun: 50, bestValLoss: 1.9 },
      { type: 'failed', message: 'boom', userError: true },
    ];
    for (const m of trainer) assert.ok(isTrainerToHost(wire(m)), m.type);
    const inference: InferenceToHost[] = [
      {
        type: 'loaded',
        info: { neural: true, memory: null, dir: '/m/best', step: 1, bestValLoss: null, parameters: 10, backend: 'wasm', backendDetail: '', savedAt: '' },
      },
      { type: 'noModel', message: 'none' },
      { type: 'loadFailed', message: 'bad' },
      { type: 'completion', id: 1, text: 'abc', logProbs: [-0.1, -0.2, -0.3], next: 'd', reuse: 'advance', ms: 1.5, stoppedBy: 'newline' },
      { type: 'generated', id: 2, text: 'x', meanLogProb: -1 },
      { type: 'progress', id: 2, chars: 16, total: 200 },
      { type: 'samples', id: 3, samples: [{ temperature: 0, text: 't' }] },
      { type: 'dropped', id: 4, reason: 'stale' },
      { type: 'failed', id: 5, message: 'oops' },
    ];
    for (const m of inference) assert.ok(isInferenceToHost(wire(m)), m.type);
    const toInference: HostToInference[] = [
      { type: 'load', root: '/m', backend: 'wasm' },
      { type: 'unload' },
      {
        type: 'complete',
        id: 1,
        doc: 'file:///a',
        window: 'abc',
        contextChars: 128,
        offset: 3,
        maxChars: 40,
        stopAtNewline: true,
        temperature: 0,
        seed: 1,
        minConfidence: 0.25,
      },
      { type: 'generate', id: 2, prompt: 'p', length: 200, temperature: 0.5 },
      { type: 'samples', id: 3, prime: '', temperatures: [0, 0.5], length: 100 },
      { type: 'cancel', id: 1 },
      { type: 'forget', doc: 'file:///a' },
    ];
    for (const m of toInference) assert.ok(isHostToInference(wire(m)), m.type);
    assert.ok(isHostToTrainer(wire({ type: 'stop' })));
    assert.ok(isHostToTrainer(wire({ type: 'train', job: { paths: [] } })));
  });

  it('rejects unknown types, missing or mistyped fields, and non-objects', () => {
    assert.equal(isTrainerToHost({ type: 'explode' }), false);
    assert.equal(isTrainerToHost({ type: 'step', step: '1', epoch: 0, loss: 1, progress: 0, etaSeconds: 0, charsPerSec: 0 }), false);
    assert.equal(isTrainerToHost({ type: 'eval', step: 1, valLoss: 'x', valAccuracy: null, best: true }), false);
    assert.equal(isInferenceToHost({ type: 'completion', id: 1, text: 'a', logProbs: 'no', reuse: 'hit', ms: 1 }), false);
    assert.equal(isInferenceToHost({ type: 'toString' }), false, 'inherited keys are not message types');
    assert.equal(isHostToInference({ type: 'complete', id: 1 }), false);
    assert.equal(isHostToInference({ type: 'generate', id: 1, prompt: 'p', length: 1, temperature: 0, seed: 'x' }), false);
    for (const v of [null, undefined, 3, 'load', []]) assert.equal(isHostToInference(v), false);
  });
});
