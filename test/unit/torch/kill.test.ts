/** A rank killed mid-run (kill -9) ends the job, without a hang, and leaves a checkpoint Charm reads. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../../src/accel';
import { loadCheckpoint, verifyCheckpoint } from '../../../src/training/checkpoint';
import { processIsAlive } from '../../../src/util/processAlive';
import { repetitiveText, tempDir } from '../helpers';
import { pythonEnv, readRankDebug, requireTorch, torchrunArgs, TORCHRUN, waitFor, writePreparedData } from './prepared';

describe('charm_torch: a rank that dies', function () {
  this.timeout(180_000);

  before(requireTorch);

  it('ends the job and leaves the last checkpoint readable by Charm', async () => {
    await initBackend('cpu');
    const { dir, cleanup } = tempDir('charm-torch-kill-');
    const data = path.join(dir, 'data');
    const out = path.join(dir, 'out');
    const debug = path.join(dir, 'debug');
    writePreparedData(data, repetitiveText(12000));
    const args = ['--data', data, '--out', out, '--preset', 'tiny', '--seq-length', '32', '--batch-size', '8', '--max-steps', '100000', '--eval-every', '3'];
    // Detached: its own process group, so a failing test can still stop every process of the job.
    const job = spawn(TORCHRUN, torchrunArgs(2, path.join(dir, 'logs'), [...args, '--debug', debug]), { env: pythonEnv(), detached: true, stdio: 'pipe' });
    let output = '';
    job.stdout.on('data', (d: Buffer) => (output += d.toString()));
    job.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => job.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'a first checkpoint',
        () => fs.existsSync(path.join(out, 'latest', 'config.json')) && fs.existsSync(path.join(debug, 'rank1.json')),
        120_000,
      );
      const [zero, one] = [readRankDebug(debug, 0), readRankDebug(debug, 1)];
      process.kill(one.pid, 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 60_000)));
      const code = await Promise.race([exited, hung]);
      clearTimeout(timer);
      assert.notEqual(code, 'hung', `torchrun did not end within 60 s after a rank died:\n${output}`);
      assert.notEqual(code, 0, 'the job reports the failure');
      assert.equal(processIsAlive(zero.pid), false, 'rank 0 ended too');
      const { meta } = verifyCheckpoint(out, 'latest');
      assert.ok(meta.progress.step >= 3, `step ${meta.progress.step}`);
      const loaded = await loadCheckpoint(out);
      loaded.model.dispose();
    } finally {
      if (job.exitCode === null && job.pid !== undefined) process.kill(-job.pid, 'SIGKILL');
      cleanup();
    }
  });
});
