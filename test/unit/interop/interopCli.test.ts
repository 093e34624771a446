/**
 * charm import / export from the command line: an imported model works with info, sample, eval,
 * complete and train --resume; bad input gets one clear line, a nonzero exit and no stack trace.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import JSZip from 'jszip';
import { initBackend } from '../../../src/accel';
import { assertCleanError, buildCli, charm, CHARM_BIN } from '../cliHelpers';
import { tempDir, writeFiles } from '../helpers';
import { charModel, randomizeWeights, saveTfjs, TEXT, VOCAB } from './fixtures';

describe('charm import / export CLI', function () {
  const tmp = tempDir('charm-interop-cli-');
  const source = path.join(tmp.dir, 'tfjs');
  const corpus = path.join(tmp.dir, 'corpus.txt');
  const model = path.join(tmp.dir, 'imported');

  before(async function () {
    this.timeout(120_000);
    buildCli();
    await initBackend('cpu');
    writeFiles(tmp.dir, { 'corpus.txt': TEXT.repeat(20) });
    const keras = charModel({ softmax: true });
    randomizeWeights(keras, 2);
    await saveTfjs(keras, source);
    keras.dispose();
  });
  after(() => tmp.cleanup());

  it('imports a tfjs-layers model; info says where it came from', () => {
    const r = charm(['import', path.join(source, 'model.json'), '--out', model, '--vocab-from-text', corpus]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Imported tfjs-layers model/);
    assert.ok(fs.existsSync(path.join(model, 'best', 'config.json')) && fs.existsSync(path.join(model, 'latest', 'config.json')));
    const info = charm(['info', '--model', model]);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /Imported: +tfjs-layers .*model\.json.*vocabulary rebuilt from text; its softmax output is kept as logits/);
    const json = JSON.parse(charm(['info', '--model', model, '--json']).stdout) as { source: { format: string; vocabulary: string } };
    assert.equal(json.source.format, 'tfjs-layers');
    assert.equal(json.source.vocabulary, 'from-text');
  });

  it('the imported model samples, evaluates (skipping and counting unknown characters), completes and fine-tunes', () => {
    const sample = charm(['sample', '--model', model, '--prime', 'abc', '--length', '20', '--seed', '1', '--backend', 'cpu', '--json']);
    assert.equal(sample.status, 0, sample.stderr);
    assert.equal([...(JSON.parse(sample.stdout) as { text: string }).text].length, 20);
    writeFiles(tmp.dir, { 'other.txt': 'abc XYZ def' });
    const evaluated = charm(['eval', '--model', model, path.join(tmp.dir, 'other.txt'), '--backend', 'cpu', '--json']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const result = JSON.parse(evaluated.stdout) as { unknownChars: number; chars: number };
    assert.equal(result.unknownChars, 3);
    assert.equal(result.chars, 'abc  def'.length - 1, 'X, Y and Z skipped; the first character is only an input');
    const complete = spawnSync(process.execPath, [CHARM_BIN, 'complete', '--model', model, '--backend', 'cpu', '--min-confidence', '0'], {
      input: JSON.stringify({ id: 1, doc: 'file:///a.txt', offset: 5, before: 'abc d', after: '' }) + '\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(complete.status, 0, complete.stderr);
    assert.equal((JSON.parse(complete.stdout.trim()) as { id: number }).id, 1);
    const train = charm(['train', corpus, '--out', model, '--resume', '--max-steps', '3', '--seq-length', '8', '--batch-size', '2', '--backend', 'cpu']);
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout + train.stderr, /no optimizer state \(an imported model\): Adam starts fresh/);
    const info = JSON.parse(charm(['info', '--model', model, '--json']).stdout) as { progress: { step: number }; source?: { format: string } };
    assert.equal(info.progress.step, 3);
    assert.equal(info.source?.format, 'tfjs-layers', 'fine-tuning keeps the provenance');
  });

  it('exports to both formats with --json', () => {
    const tfjsOut = path.join(tmp.dir, 'export-tfjs');
    const r = charm(['export', '--model', model, '--format', 'tfjs-layers', '--out', tfjsOut, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { files: string[] }).files.length, 3);
    const h5 = charm(['export', '--model', model, '--format', 'keras-h5', '--out', path.join(tmp.dir, 'm.h5')]);
    assert.equal(h5.status, 0, h5.stderr);
    assert.ok(fs.existsSync(path.join(tmp.dir, 'm.vocab.json')));
    assertCleanError(charm(['export', '--model', model, '--format', 'keras-h5', '--out', path.join(tmp.dir, 'm.h5')]), /already exists/);
  });

  it('a vocabulary whose size differs from the model is a clear error, and nothing is written', () => {
    writeFiles(tmp.dir, { 'small.json': JSON.stringify(['a', 'b', 'c']) });
    const out = path.join(tmp.dir, 'mismatch');
    assertCleanError(
      charm(['import', source, '--out', out, '--vocab', path.join(tmp.dir, 'small.json')]),
      new RegExp(`vocabulary has 3 symbols but the model's input and output have ${VOCAB}`),
    );
    assert.ok(!fs.existsSync(out));
    assert.deepEqual(
      fs.readdirSync(tmp.dir).filter((n) => n.includes('.import-')),
      [],
    );
  });

  it('an unsupported layer is named, with what is supported', async () => {
    const keras = tf.sequential();
    keras.add(tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, batchInputShape: [null, null] }));
    keras.add(tf.layers.simpleRNN({ units: 4, returnSequences: true }));
    keras.add(tf.layers.dense({ units: VOCAB }));
    await saveTfjs(keras, path.join(tmp.dir, 'rnn'));
    keras.dispose();
    assertCleanError(
      charm(['import', path.join(tmp.dir, 'rnn'), '--out', path.join(tmp.dir, 'x'), '--vocab-from-text', corpus]),
      /layer "simple_rnn\w*" \(SimpleRNN\) is not supported\. Charm imports Embedding, LSTM, GRU/,
    );
  });

  it('truncated files, wrong zips and missing files get their own clear message', async () => {
    const cut = path.join(tmp.dir, 'cut');
    fs.cpSync(source, cut, { recursive: true });
    const bin = path.join(cut, 'weights.bin');
    fs.truncateSync(bin, fs.statSync(bin).size - 8);
    const out = path.join(tmp.dir, 'never');
    const vocab = ['--vocab-from-text', corpus];
    assertCleanError(charm(['import', cut, '--out', out, ...vocab]), /fewer than the manifest needs; they are truncated/);
    const h5 = path.join(tmp.dir, 'm.h5');
    const halfH5 = path.join(tmp.dir, 'half.h5');
    fs.writeFileSync(halfH5, fs.readFileSync(h5).subarray(0, Math.floor(fs.statSync(h5).size / 2)));
    assertCleanError(charm(['import', halfH5, '--out', out, ...vocab]), /half\.h5.*(damaged HDF5 file|truncated or corrupted)/);
    const zip = new JSZip();
    zip.file('readme.txt', 'not a model');
    fs.writeFileSync(path.join(tmp.dir, 'wrong.keras'), await zip.generateAsync({ type: 'nodebuffer' }));
    assertCleanError(charm(['import', path.join(tmp.dir, 'wrong.keras'), '--out', out, ...vocab]), /is not a Keras \.keras archive: it has no config\.json/);
    fs.writeFileSync(path.join(tmp.dir, 'text.keras'), 'just text');
    assertCleanError(charm(['import', path.join(tmp.dir, 'text.keras'), '--out', out, ...vocab]), /is not a readable \.keras archive/);
    assertCleanError(charm(['import', path.join(tmp.dir, 'nothing.h5'), '--out', out, ...vocab]), /Cannot read .*nothing\.h5: the file does not exist/);
    assertCleanError(charm(['import', source, '--out', out, '--vocab', path.join(tmp.dir, 'nothing.json')]), /Cannot read the vocabulary .*nothing\.json/);
    assertCleanError(charm(['import', source, '--out', out]), /give the vocabulary with --vocab FILE/);
    assert.ok(!fs.existsSync(out));
  });
});
