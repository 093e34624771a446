import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCorpus } from '../../../src/training/corpus';
import { CharDataset } from '../../../src/training/dataset';
import { prepareCorpus } from '../../../src/training/prepare';
import { preparedInput } from '../../../src/training/trainingInput';
import { dtypeFor } from '../../../src/training/preparedFormat';
import { SECRET_PLACEHOLDER } from '../../../src/training/secretPatterns';
import { Vocabulary } from '../../../src/training/vocabulary';
import { CharmError } from '../../../src/errors';
import { tempDir, writeFiles } from '../helpers';
import { folderBytes, readIds, readManifest } from './preparedData';

/** Text with what could break a streamed encoder: CRLF, a BOM, 2-, 3- and 4-byte UTF-8 characters. */
function mixedText(lines: number, salt: number): string {
  const parts: string[] = ['\uFEFF'];
  for (let i = 0; i < lines; i++) parts.push(`line ${i * salt} é€ 🙂 ${'x'.repeat(i % 7)} 中文\r\n`);
  return parts.join('');
}

const PASSWORD = ['hunter2', 'very', 'secret'].join('-');

function writeCorpus(root: string): void {
  writeFiles(root, {
    'a.txt': mixedText(50, 3),
    'sub/b.md': 'plain ascii text\n'.repeat(40),
    // Over 1 MB of spool bytes in one file, so pass 2 reads several chunks and cuts inside characters.
    'big/c.txt': mixedText(40_000, 7),
    'notes.txt': `the password = "${PASSWORD}" is here\n`,
    'image.bin': new Uint8Array([137, 80, 78, 71, 0, 0, 1, 2]),
    '.env': 'TOKEN=abc\n',
    '.gitignore': 'ignored/\n',
    'ignored/x.txt': 'never read\n',
  });
}

const BIG_FILES = { maxFileBytes: 4 * 1024 * 1024 };

describe('charm prepare (engine)', function () {
  let tmp: ReturnType<typeof tempDir>;
  let corpusDir: string;
  before(() => {
    tmp = tempDir('charm-prepare-');
    corpusDir = path.join(tmp.dir, 'corpus');
    writeCorpus(corpusDir);
  });
  after(() => tmp.cleanup());

  it('writes byte-identical folders for the same input, with checksums that match the files', async () => {
    const one = path.join(tmp.dir, 'one');
    const two = path.join(tmp.dir, 'two');
    await prepareCorpus({ paths: [corpusDir], out: one, corpus: BIG_FILES });
    await prepareCorpus({ paths: [corpusDir], out: two, corpus: BIG_FILES });
    const a = folderBytes(one);
    assert.deepEqual(Object.keys(a), ['manifest.json', 'train.bin', 'val.bin', 'vocab.json'], 'no spool or temporary file is left');
    assert.deepEqual(folderBytes(two), a);
    // And replacing a folder in place gives the same bytes again.
    await prepareCorpus({ paths: [corpusDir], out: one, corpus: BIG_FILES, overwrite: true });
    assert.deepEqual(folderBytes(one), a);
    const m = readManifest(one);
    for (const [name, digest] of Object.entries(m.sha256)) {
      assert.equal(crypto.createHash('sha256').update(a[name]).digest('hex'), digest, name);
    }
    assert.equal(a['train.bin'].length, 2 * m.train.tokens);
    assert.equal(a['val.bin'].length, 2 * m.val.tokens);
    assert.equal(fs.readdirSync(tmp.dir).filter((n) => n.includes('prepare-tmp')).length, 0, 'no temporary folder left');
  });

  it('has the vocabulary, ids and split that charm train builds from the same files', async () => {
    const out = path.join(tmp.dir, 'split');
    const valFraction = 0.37;
    await prepareCorpus({ paths: [corpusDir], out, valFraction, seed: 5, corpus: BIG_FILES });
    // What session.ts does: buildCorpus, Vocabulary.build, encode, CharDataset.
    const corpus = await buildCorpus([corpusDir], BIG_FILES);
    const vocab = Vocabulary.build(corpus.text);
    assert.equal(fs.readFileSync(path.join(out, 'vocab.json'), 'utf8'), JSON.stringify(vocab.toJSON()));
    const dataset = new CharDataset(vocab.encode(corpus.text), { seqLength: 10, batchSize: 1, valFraction, seed: 5 });
    assert.ok(dataset.val.length > 1000);
    assert.deepEqual(readIds(out, 'train'), dataset.train);
    assert.deepEqual(readIds(out, 'val'), dataset.val);
    const m = readManifest(out);
    assert.equal(m.valFraction, valFraction);
    assert.equal(m.seed, 5);
    assert.deepEqual(
      m.corpus.filesRead,
      corpus.files.map((f) => f.path),
    );
    assert.equal(m.corpus.chars, dataset.train.length + dataset.val.length);
    assert.deepEqual(m.corpus.skipped, { binary: 1, secret: 1, ignored: 1 });
  });

  it('writes the placeholder, never the secret, unless secrets are included', async () => {
    const kept = path.join(tmp.dir, 'secrets-kept');
    const redacted = path.join(tmp.dir, 'secrets-redacted');
    const only = path.join(corpusDir, 'notes.txt');
    await prepareCorpus({ paths: [only], out: redacted, valFraction: 0 });
    await prepareCorpus({ paths: [only], out: kept, valFraction: 0, corpus: { includeSecrets: true } });
    const text = (dir: string) => Vocabulary.fromJSON(JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8'))).decode(readIds(dir, 'train'));
    assert.equal(text(redacted), `the password = "${SECRET_PLACEHOLDER}" is here\n`);
    assert.deepEqual(readManifest(redacted).corpus.redacted, [{ path: only, count: 1 }]);
    assert.match(text(kept), new RegExp(PASSWORD));
  });

  it('stores ids as uint16 up to 65,536 symbols and as uint32 above', async () => {
    assert.equal(dtypeFor(65536), 'uint16');
    assert.equal(dtypeFor(65537), 'uint32');
    const wide = path.join(tmp.dir, 'wide');
    // 70,000 distinct astral characters, each once.
    let text = '';
    for (let cp = 0x10000; cp < 0x10000 + 70_000; cp++) text += String.fromCodePoint(cp);
    writeFiles(wide, { 'w.txt': text });
    const big = path.join(tmp.dir, 'wide-70000');
    const small = path.join(tmp.dir, 'wide-default');
    await prepareCorpus({ paths: [wide], out: big, maxVocabulary: 70_001, valFraction: 0.5 });
    await prepareCorpus({ paths: [wide], out: small, valFraction: 0.5 });
    const mb = readManifest(big);
    assert.equal(mb.dtype, 'uint32');
    assert.equal(mb.vocabularySize, 70_001);
    assert.equal(fs.statSync(path.join(big, 'train.bin')).size, 4 * 35_000);
    const ids = readIds(big, 'val');
    assert.equal(ids[ids.length - 1], 70_000, 'the highest id survives the 32-bit encoding');
    const ms = readManifest(small);
    assert.equal(ms.dtype, 'uint16');
    assert.equal(ms.vocabularySize, 256);
    assert.equal(ms.corpus.unknownChars, 70_000 - 255);
    assert.equal(fs.statSync(path.join(small, 'train.bin')).size, 2 * 35_000);
  });

  it('refuses to replace a folder that is not prepared data, even with overwrite', async () => {
    const other = path.join(tmp.dir, 'precious');
    writeFiles(other, { 'keep.txt': 'mine' });
    await assert.rejects(
      prepareCorpus({ paths: [corpusDir], out: other, overwrite: true }),
      (e: unknown) => e instanceof CharmError && /not a prepared-data folder/.test(e.message),
    );
    assert.equal(fs.readFileSync(path.join(other, 'keep.txt'), 'utf8'), 'mine');
  });

  it('never reads prepared data as text, wherever it lies', async () => {
    const root = path.join(tmp.dir, 'inside');
    writeFiles(root, { 'a.txt': 'hello prepared world\n' });
    const out = path.join(root, 'data');
    await prepareCorpus({ paths: [root], out });
    await prepareCorpus({ paths: [root], out, overwrite: true });
    const m = readManifest(out);
    assert.deepEqual(m.corpus.filesRead, [path.join(root, 'a.txt')]);
    assert.equal(m.corpus.skipped?.prepared, 2, 'the old folder and the one being written');
    const corpus = await buildCorpus([root]);
    assert.equal(corpus.text, 'hello prepared world\n');
  });

  it('gives a resumed model its own ids for prepared data made with another vocabulary', async () => {
    const root = path.join(tmp.dir, 'remap');
    const text = 'abcabc xyz 🙂 abc\n';
    writeFiles(root, { 'r.txt': text });
    const out = path.join(tmp.dir, 'remap-data');
    await prepareCorpus({ paths: [root], out, valFraction: 0 });
    const other = Vocabulary.build('zyx cba🙂', 6); // lacks some of the text's characters, other ids
    const { ids, unknown } = preparedInput(out).encode(other);
    assert.deepEqual(ids, other.encode(text));
    assert.equal(unknown, other.countUnknown(text));
    assert.ok(unknown > 0);
  });

  it('after a crash between the renames of a replacement (only DIR.prev left), the next run writes DIR and removes DIR.prev', async () => {
    const out = path.join(tmp.dir, 'swapped');
    await prepareCorpus({ paths: [path.join(corpusDir, 'sub')], out });
    fs.renameSync(out, `${out}.prev`);
    await prepareCorpus({ paths: [path.join(corpusDir, 'sub')], out });
    assert.equal(readManifest(out).corpus.files, 1);
    assert.equal(fs.existsSync(`${out}.prev`), false);
  });
});
