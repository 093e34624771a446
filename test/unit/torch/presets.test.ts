/** The PyTorch trainer's copy of the presets and defaults equals Charm's, and bad input gets one line. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESETS } from '../../../src/model/config';
import { DEFAULT_EPOCHS, DEFAULT_HYPERPARAMETERS } from '../../../src/training/hyperparameters';
import { repetitiveText, tempDir } from '../helpers';
import { PYTHON, pythonEnv, requireTorch, TRAIN_PY, writePreparedData } from './prepared';

const PYTHON_DIR = path.dirname(path.dirname(TRAIN_PY));

function python(code: string): unknown {
  const r = spawnSync(PYTHON, ['-c', code], { cwd: PYTHON_DIR, encoding: 'utf8', env: pythonEnv(), timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function train(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(PYTHON, [TRAIN_PY, ...args], { encoding: 'utf8', env: pythonEnv(), timeout: 60_000 });
}

describe('charm_torch: presets, defaults and errors', () => {
  before(requireTorch);

  it('has the presets of src/model/config.ts', () => {
    const theirs = python('import json; from charm_torch.presets import PRESETS; print(json.dumps(PRESETS))');
    const ours = Object.fromEntries(
      Object.entries(PRESETS).map(([name, p]) => [
        name,
        { embedding: p.embedding, units: p.units, layers: p.layers, seqLength: p.seqLength, batchSize: p.batchSize, learningRate: p.learningRate },
      ]),
    );
    assert.deepEqual(theirs, ours);
  });

  it('has the training defaults of src/training/hyperparameters.ts', () => {
    const theirs = python(
      'import json; from charm_torch.presets import DEFAULT_HYPERPARAMETERS as d, DEFAULT_EPOCHS as e; print(json.dumps({"defaults": d, "epochs": e}))',
    );
    assert.deepEqual(theirs, { defaults: DEFAULT_HYPERPARAMETERS, epochs: DEFAULT_EPOCHS });
  });

  it('refuses bad input with one line and exit code 1, without a traceback', () => {
    const { dir, cleanup } = tempDir();
    try {
      const data = path.join(dir, 'data');
      const out = path.join(dir, 'out');
      assertOneLine(train(['--data', path.join(dir, 'nowhere'), '--out', out]), /manifest\.json of the prepared data is missing/);
      writePreparedData(data, repetitiveText(2000));
      assertOneLine(train(['--data', data, '--out', out, '--max-steps', '0']), /--max-steps must be an integer from 1/);
      assertOneLine(train(['--data', data, '--out', out, '--seq-length', '5000']), /the corpus is too short/);
      fs.writeFileSync(path.join(data, 'val.bin'), Buffer.alloc(3));
      assertOneLine(train(['--data', data, '--out', out]), /prepared data is damaged: .*val\.bin has 3 bytes/);
      assert.equal(fs.existsSync(path.join(out, 'latest')), false, 'nothing written');
    } finally {
      cleanup();
    }
  });
});

function assertOneLine(r: { status: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.status, 1, `exit code 1 expected:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], /^charm_torch: error: /);
  assert.match(lines[0], pattern);
}
