import { CharModel } from '../../src/model/charModel';
import { CheckpointMeta, saveCheckpoint } from '../../src/training/checkpoint';
import { Vocabulary } from '../../src/training/vocabulary';

/** Saves a real (tiny, untrained) checkpoint of `kind` under `root`, as training does; `step` tells copies apart. */
export async function saveTinyCheckpoint(root: string, kind: 'best' | 'latest', step = 1, text = 'the cat sat on the mat. '): Promise<void> {
  const vocab = Vocabulary.build(text);
  const model = CharModel.create({ cell: 'lstm', vocabSize: vocab.size, embedding: 4, units: 8, layers: 1 }, 3);
  const meta: CheckpointMeta = {
    model: model.config,
    training: {},
    corpus: { sources: [], files: 1, chars: text.length, trainChars: text.length, valChars: 0, unknownChars: 0 },
    progress: {
      step,
      epoch: 0,
      batchInEpoch: 1,
      charsSeen: 10,
      elapsedSeconds: 1,
      bestValLoss: null,
      bestStep: null,
      evalsWithoutImprovement: 0,
      learningRateScale: 1,
    },
    history: { train: [[1, 3]], val: [] },
    backend: 'cpu',
    savedAt: new Date(0).toISOString(),
  };
  try {
    await saveCheckpoint(root, kind, { model, vocab, meta });
  } finally {
    model.dispose();
  }
}
