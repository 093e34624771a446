import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/accel';
import { CHECKPOINT_FORMAT } from '../../src/training/checkpoint';
import { Corpus, buildCorpus, describeCorpus } from '../../src/training/corpus';
import { tempDir, writeFiles } from './helpers';
import { saveTinyCheckpoint } from './tinyCheckpoint';

const NOTES = 'the cat sat on the mat. ';

function rel(root: string, p: string): string {
  return path.relative(root, p).split(path.sep).join('/');
}

/** Nothing of a checkpoint may reach the text: not its files, not its markers. */
function assertNoCheckpointText(c: Corpus): void {
  assert.ok(!c.text.includes(CHECKPOINT_FORMAT), 'config.json was read');
  assert.ok(!c.text.includes('"sha256"'), 'weights.json was read');
  assert.ok(!c.text.includes('"unknownId"') && !c.text.includes('"symbols"'), 'vocab.json was read');
}

describe('corpus: Charm checkpoint folders are never read', function () {
  const tmp = tempDir('charm-ckpt-corpus-');
  let root: string;

  before(async () => {
    await initBackend('cpu');
    root = path.join(tmp.dir, 'project');
    writeFiles(root, { 'notes.txt': NOTES, 'src/config.json': '{"format": "prettier", "semi": true}' });
    // `charm train .` with the default --out inside the folder, and a renamed copy elsewhere in it.
    await saveTinyCheckpoint(path.join(root, 'charm-model'), 'best');
    await saveTinyCheckpoint(path.join(root, 'charm-model'), 'latest');
    await saveTinyCheckpoint(path.join(root, 'old', 'my-run'), 'latest');
    fs.renameSync(path.join(root, 'old', 'my-run', 'latest'), path.join(root, 'old', 'my-run', 'latest.prev'));
  });
  after(() => tmp.cleanup());

  it('skips a checkpoint root wherever it is and whatever its name, as "checkpoint", and reads the rest', async () => {
    const c = await buildCorpus([root]);
    assert.deepEqual(
      c.files.map((f) => rel(root, f.path)),
      ['notes.txt', 'src/config.json'],
    );
    assertNoCheckpointText(c);
    const skipped = c.skipped.filter((s) => s.reason === 'checkpoint').map((s) => rel(root, s.path));
    assert.deepEqual(skipped, ['charm-model', 'old/my-run']);
    assert.match(describeCorpus(c), /skipped 2 \(2 Charm checkpoint\)/);
  });

  it('skips a checkpoint named directly: a root, its best/ folder, or a file in it', async () => {
    const model = path.join(root, 'charm-model');
    for (const given of [model, path.join(model, 'best'), path.join(model, 'latest', 'vocab.json')]) {
      const c = await buildCorpus([given]);
      assert.equal(c.text, '', given);
      assert.deepEqual(c.skipped, [{ path: given, reason: 'checkpoint' }], given);
    }
  });

  it('recognises a root holding only a temporary folder that is still being written', async () => {
    const dir = path.join(tmp.dir, 'interrupted');
    // saveCheckpoint writes config.json last: a kill before it leaves weights only.
    writeFiles(dir, { '.best.tmp-1234-abcd/weights.bin': 'AAAA', '.best.tmp-1234-abcd/weights.json': '{"dtype":"float32"}', 'readme.txt': 'x' });
    const c = await buildCorpus([dir]);
    assert.equal(c.text, '');
    assert.deepEqual(c.skipped, [{ path: dir, reason: 'checkpoint' }]);
  });

  it('reads folders that only look similar: a best/ without a checkpoint, a config.json of another format', async () => {
    const dir = path.join(tmp.dir, 'lookalike');
    writeFiles(dir, { 'best/config.json': '{"format": "other"}', 'latest/notes.md': 'notes', '.best.tmp-x/readme.txt': 'tmp' });
    const c = await buildCorpus([dir]);
    assert.deepEqual(
      c.files.map((f) => rel(dir, f.path)),
      ['.best.tmp-x/readme.txt', 'best/config.json', 'latest/notes.md'],
    );
    assert.deepEqual(c.skipped, []);
  });
});
