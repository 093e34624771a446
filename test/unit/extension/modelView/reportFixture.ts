import type { ModelReport } from '../../../../src/extension/modelReport';

/** A report as buildModelReport makes it for a trained model with a loaded completion process. */
export function trainedReport(): ModelReport {
  return {
    root: '/ws/model',
    model: {
      cell: 'LSTM',
      layers: 2,
      units: 256,
      embedding: 64,
      vocabSize: 98,
      parameters: 1_234_567,
      weightBytes: 1536,
      totalBytes: 3 * 1024 * 1024,
      checkpoint: '/ws/model/best',
    },
    progress: {
      step: 12_000,
      epoch: 3,
      bestValLoss: 1.23456,
      bestStep: 11_500,
      elapsedSeconds: 95,
      charsSeen: 1e6,
      savedAt: '2026-01-01T00:00:00Z',
      trainedOn: 'wasm',
      seqLength: 100,
      batchSize: 32,
      learningRate: 0.002,
    },
    corpus: { sources: ['/ws/a', '/ws/b'], files: 1200, chars: 2_000_000, trainChars: 1_800_000, valChars: 200_000, unknownChars: 3 },
    inference: { state: 'ready', backend: 'wasm', detail: 'SIMD' },
    history: {
      train: [
        [1, 4.5],
        [100, 3],
        [200, 2.2],
      ],
      val: [
        [100, 3.1],
        [200, 2.4],
      ],
    },
  };
}

/** A report before any training. */
export function emptyReport(): ModelReport {
  return { root: '/ws/model', inference: { state: 'none', message: 'No model yet.' }, history: { train: [], val: [] } };
}

/** What postMessage does to a message (JSON serialization). */
export const wire = <T>(m: T): unknown => JSON.parse(JSON.stringify(m));
