/**
 * charm export: tfjs-layers' own loader reads the exported model and predicts Charm's logits;
 * export -> import gives identical logits in both formats; the .h5 has Keras 2's layout.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { initBackend } from '../../../src/accel';
import { exportModel, h5VocabularyPath } from '../../../src/interop/exportModel';
import { loadH5 } from '../../../src/interop/h5';
import { importModel } from '../../../src/interop/importModel';
import { tempDir, writeFiles } from '../helpers';
import { assertClose, charmLogProbs, exportedLogProbs, importedFixture, IDS, TEXT } from './fixtures';

describe('charm export', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  before(async () => {
    await initBackend('cpu');
  });
  beforeEach(async () => {
    tmp = tempDir('charm-export-');
    writeFiles(tmp.dir, { 'corpus.txt': TEXT });
    const imported = await importedFixture(tmp.dir, { layers: 2 }, 11);
    imported.keras.dispose();
    root = imported.root;
  });
  afterEach(() => tmp.cleanup());

  it('tfjs-layers: tf.loadLayersModel reads it and predicts the same logits; importing it back gives identical logits', async () => {
    const out = path.join(tmp.dir, 'exported');
    const { files } = await exportModel({ model: root, format: 'tfjs-layers', out });
    assert.deepEqual(files.map((f) => path.basename(f)).sort(), ['model.json', 'vocab.json', 'weights.bin']);
    const charm = await charmLogProbs(root, IDS);
    assertClose(await exportedLogProbs(out), charm);
    const back = path.join(tmp.dir, 'back');
    await importModel({ file: out, out: back, vocabulary: { kind: 'file', path: path.join(out, 'vocab.json') } });
    assert.deepEqual(await charmLogProbs(back, IDS), charm);
  });

  it('keras-h5: Keras 2 layout (model_config, model_weights, layer_names, weight_names, keras_version); importing it back gives identical logits', async () => {
    const out = path.join(tmp.dir, 'm.h5');
    await exportModel({ model: root, format: 'keras-h5', out });
    const h5 = await loadH5();
    const file = new h5.File(out, 'r');
    try {
      const config = JSON.parse(file.attrs.model_config.value as string) as { class_name: string; config: { layers: { class_name: string }[] } };
      assert.equal(config.class_name, 'Sequential');
      assert.deepEqual(
        config.config.layers.map((l) => l.class_name),
        ['InputLayer', 'Embedding', 'LSTM', 'LSTM', 'Dense'],
      );
      assert.match(file.attrs.keras_version.value as string, /^2\./);
      const weights = file.get('model_weights') as InstanceType<typeof h5.Group>;
      assert.deepEqual(weights.attrs.layer_names.value, ['embedding', 'lstm', 'lstm_1', 'dense']);
      const lstm1 = weights.get('lstm_1') as InstanceType<typeof h5.Group>;
      assert.deepEqual(lstm1.attrs.weight_names.value, ['lstm_1/lstm_cell_1/kernel:0', 'lstm_1/lstm_cell_1/recurrent_kernel:0', 'lstm_1/lstm_cell_1/bias:0']);
      assert.deepEqual((weights.get('lstm_1/lstm_1/lstm_cell_1/recurrent_kernel:0') as InstanceType<typeof h5.Dataset>).shape, [6, 24]);
    } finally {
      file.close();
    }
    const back = path.join(tmp.dir, 'back');
    await importModel({ file: out, out: back, vocabulary: { kind: 'file', path: h5VocabularyPath(out) } });
    assert.deepEqual(await charmLogProbs(back, IDS), await charmLogProbs(root, IDS));
  });
});
