/**
 * charm import of tfjs-layers models made here by real tfjs-layers: Charm's logits (its training
 * and batched graph, and its step-by-step sampler) equal tfjs-layers' predict on the same weights.
 */
import * as assert from 'node:assert/strict';
import { initBackend } from '../../../src/accel';
import { loadCheckpoint } from '../../../src/training/checkpoint';
import { TextGenerator } from '../../../src/model/sampler';
import { chooseNext } from '../../../src/model/sampling';
import { SeededRandom } from '../../../src/util/random';
import { tempDir, writeFiles } from '../helpers';
import { assertClose, charmLogProbs, importedFixture, IDS, kerasOutputs, logSoftmaxRows, RecurrentOptions, TEXT, VOCAB } from './fixtures';

describe('charm import: tfjs-layers models', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    await initBackend('cpu');
  });
  beforeEach(() => {
    tmp = tempDir('charm-import-');
    writeFiles(tmp.dir, { 'corpus.txt': TEXT });
  });
  afterEach(() => tmp.cleanup());

  const importFixture = (o: RecurrentOptions, seed: number) => importedFixture(tmp.dir, o, seed);

  const cases: [string, RecurrentOptions][] = [
    ['Embedding -> LSTM -> Dense', {}],
    ['Embedding -> two stacked LSTMs -> softmax Dense', { layers: 2, softmax: true }],
    ['one-hot input -> LSTM -> Dense', { oneHot: true }],
  ];
  for (const [name, o] of cases) {
    it(`${name}: logits equal tfjs-layers' predict within 1e-5`, async () => {
      const { keras, root } = await importFixture(o, 3);
      const expected = logSoftmaxRows(kerasOutputs(keras, o));
      assertClose(await charmLogProbs(root, IDS), expected);
      keras.dispose();
    });
  }

  it("the TensorFlow tutorial's vocabulary ([UNK] at 0, then the text's characters): --vocab-from-text fits a model one symbol larger", async () => {
    const o: RecurrentOptions = { vocab: VOCAB + 1 };
    const { keras, root } = await importFixture(o, 4);
    const expected = logSoftmaxRows(kerasOutputs(keras, o));
    assertClose(await charmLogProbs(root, IDS), expected);
    const { vocab, model } = await loadCheckpoint(root);
    model.dispose();
    assert.equal(vocab.unknownId, 0);
    assert.equal(vocab.symbolOf(1), '\n', 'the sorted characters follow [UNK]');
    assert.equal(vocab.size, VOCAB + 1);
    keras.dispose();
  });

  it('a many-to-one LSTM: the last step equals predict, and the window length is recorded', async () => {
    const o: RecurrentOptions = { window: IDS.length, softmax: true };
    const { keras, root } = await importFixture(o, 5);
    const expected = logSoftmaxRows(kerasOutputs(keras, o));
    const charm = await charmLogProbs(root, IDS);
    assertClose([charm[charm.length - 1]], expected);
    const { meta, model } = await loadCheckpoint(root);
    model.dispose();
    assert.equal(meta.source?.windowLength, IDS.length);
    assert.equal(meta.source?.outputActivation, 'softmax');
    assert.equal(meta.source?.format, 'tfjs-layers');
    keras.dispose();
  });

  it('seeded generation equals sampling from tfjs-layers predict with the same seed', async () => {
    const o: RecurrentOptions = { layers: 2 };
    const { keras, root } = await importFixture(o, 7);
    const checkpoint = await loadCheckpoint(root);
    const generator = new TextGenerator(checkpoint.model, checkpoint.vocab);
    const prime = 'abc';
    generator.feed(prime);
    const charm = generator.generate({ maxLength: 12, temperature: 1, seed: 42 }).text;
    generator.dispose();
    checkpoint.model.dispose();
    // The reference: tfjs-layers re-reads the whole text each step (stateless), the same choice rule and seed.
    const rng = new SeededRandom(42);
    const ids = [...checkpoint.vocab.encode(prime)];
    let expected = '';
    for (let k = 0; k < 12; k++) {
      const rows = kerasOutputs(keras, o, ids);
      const next = chooseNext(Float32Array.from(rows[rows.length - 1]), { temperature: 1 }, rng);
      ids.push(next.id);
      expected += checkpoint.vocab.decode([next.id]);
    }
    assert.equal(charm, expected);
    assert.equal(charm.length, 12);
    keras.dispose();
    assert.equal(VOCAB, checkpoint.vocab.size);
  });
});
