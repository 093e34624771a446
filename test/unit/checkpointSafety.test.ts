/**
 * Issue #12, data loss: resume never makes best/ worse, .prev survives a swap cut short, a resume
 * on foreign text needs fineTune, a writable --out is checked first, save errors say what happened
 * and keep the previous checkpoint, stale temp folders go, one writer per folder.
 */
import * as assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/accel';
import { loadCheckpoint, readCheckpointMeta } from '../../src/training/checkpoint';
import { CheckpointIo, fileSystemIo } from '../../src/training/checkpointIo';
import { LOCK_NAME, LOCK_OWNER_NAME, lockCheckpointFolder } from '../../src/training/checkpointLock';
import { runTrainingSession, SessionRequest } from '../../src/training/session';
import { repetitiveText, tempDir, writeFiles } from './helpers';

const SHAPE = { units: 16, embedding: 8 } as const;
const FAST = { seqLength: 16, batchSize: 4, patience: 0, learningRate: 1e-2 } as const;

function metaOf(dir: string) {
  return readCheckpointMeta(dir);
}

/** A file-system seam that fails the chosen operation with an errno, once it has run `after` times. */
function failingIo(op: keyof Omit<CheckpointIo, 'stage'>, code: string, matches: (p: string) => boolean): CheckpointIo {
  const fail = (p: string) => {
    if (matches(p)) throw Object.assign(new Error(`${code}: injected`), { code });
  };
  return {
    ...fileSystemIo,
    [op]: async (a: string, b: string & Uint8Array) => {
      fail(a);
      return (fileSystemIo[op] as (x: string, y: unknown) => Promise<void>)(a, b);
    },
  };
}

function tempFolders(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.tmp-/.test(n));
}

describe('checkpoint safety (issue #12)', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let corpus = '';
  const base = (out: string, more: Partial<SessionRequest> = {}): SessionRequest => ({
    paths: [corpus],
    out,
    ...SHAPE,
    ...more,
    options: { ...FAST, evalEvery: 5, ...more.options },
  });

  before(async () => {
    await initBackend('auto');
    tmp = tempDir('charm-safety-');
    corpus = path.join(tmp.dir, 'corpus');
    writeFiles(corpus, { 'cats.txt': repetitiveText(4000) });
  });
  after(() => tmp.cleanup());

  describe('1. a resume after an interrupted save never makes best/ worse', () => {
    it("takes the lower of best/'s and latest/'s best loss", async () => {
      const out = path.join(tmp.dir, 'interrupted-save');
      await runTrainingSession(base(out, { options: { maxSteps: 5 } }));
      const staleLatest = path.join(tmp.dir, 'latest-at-5');
      fs.cpSync(path.join(out, 'latest'), staleLatest, { recursive: true });
      await runTrainingSession(base(out, { resume: true, options: { maxSteps: 35 } }));
      const best = metaOf(path.join(out, 'best')).progress;
      assert.ok(best.bestValLoss! < metaOf(staleLatest).progress.bestValLoss!, 'training improved the best loss');
      // As if the run had been killed (or the disk filled) after best/ and before latest/.
      fs.rmSync(path.join(out, 'latest'), { recursive: true });
      fs.cpSync(staleLatest, path.join(out, 'latest'), { recursive: true });
      await runTrainingSession(base(out, { resume: true, options: { maxSteps: 2, evalEvery: 1 } }));
      const after = metaOf(path.join(out, 'best')).progress;
      assert.equal(after.step, best.step, `best/ was replaced by step ${after.step}`);
      assert.ok(after.bestValLoss! <= best.bestValLoss!);
      assert.equal(metaOf(path.join(out, 'latest')).progress.bestValLoss, best.bestValLoss, 'latest/ records the loss to beat');
    });

    it('uses latest.prev when latest/ is gone (a kill mid-swap), not best/', async () => {
      const out = path.join(tmp.dir, 'mid-swap');
      await runTrainingSession(base(out, { options: { maxSteps: 5 } }));
      const oldBest = path.join(tmp.dir, 'best-at-5');
      fs.cpSync(path.join(out, 'best'), oldBest, { recursive: true });
      await runTrainingSession(base(out, { resume: true, options: { maxSteps: 5, evalEvery: 100 } }));
      // best/ from step 5 (the eval at step 10 was not better), latest/ renamed away mid-swap.
      fs.rmSync(path.join(out, 'best'), { recursive: true });
      fs.renameSync(oldBest, path.join(out, 'best'));
      fs.renameSync(path.join(out, 'latest'), path.join(out, 'latest.prev'));
      const steps: number[] = [];
      await runTrainingSession(base(out, { resume: true, options: { maxSteps: 1, evalEvery: 100 } }), { onStep: (e) => steps.push(e.step) });
      assert.deepEqual(steps, [11]);
    });

    it('a save that fails after latest/ was renamed away keeps latest.prev', async () => {
      const out = path.join(tmp.dir, 'keep-prev');
      await runTrainingSession(base(out, { options: { maxSteps: 5 } }));
      fs.renameSync(path.join(out, 'latest'), path.join(out, 'latest.prev'));
      const io = failingIo('rename', 'EIO', (p) => /\.latest\.tmp-/.test(p));
      await assert.rejects(runTrainingSession(base(out, { resume: true, io, options: { maxSteps: 1, evalEvery: 100 } })), /input\/output error/);
      const loaded = await loadCheckpoint(out, { prefer: 'latest', withOptimizer: true });
      assert.equal(loaded.meta.progress.step, 5);
      assert.ok(loaded.optimizer, 'the optimizer state survived');
      loaded.model.dispose();
      loaded.optimizer?.m.forEach((t) => t.dispose());
      loaded.optimizer?.v.forEach((t) => t.dispose());
      assert.deepEqual(tempFolders(out), []);
    });
  });

  describe('3. a vocabulary mismatch on resume', () => {
    it('refuses text with more than 5 % unknown characters unless fineTune, naming the share and --fine-tune', async () => {
      const out = path.join(tmp.dir, 'vocab');
      await runTrainingSession(base(out, { options: { maxSteps: 3 } }));
      writeFiles(tmp.dir, { 'foreign/greek.txt': 'αβγδε ζηθικ λμνξο πρστυ '.repeat(200) });
      const foreign = { paths: [path.join(tmp.dir, 'foreign')] };
      await assert.rejects(
        runTrainingSession({ ...base(out, { resume: true, options: { maxSteps: 2 } }), ...foreign }),
        (e: Error) => e.name === 'CharmError' && /\d+ % of the corpus's characters are not in the vocabulary/.test(e.message) && /--fine-tune/.test(e.message),
      );
      assert.equal(metaOf(path.join(out, 'latest')).progress.step, 3, 'nothing was trained');
      const r = await runTrainingSession({ ...base(out, { fineTune: true, options: { maxSteps: 2 } }), ...foreign });
      assert.equal(r.progress.step, 5);
    });
  });

  describe('4. one writer per checkpoint folder', () => {
    it('a second training on the same --out fails at once, naming the first', async () => {
      const out = path.join(tmp.dir, 'locked');
      const controller = new AbortController();
      let firstStep: () => void = () => undefined;
      const stepped = new Promise<void>((resolve) => {
        firstStep = resolve;
      });
      const first = runTrainingSession(
        base(out, { writer: 'charm train first', signal: controller.signal, options: { maxSteps: 100_000, evalEvery: 100_000 } }),
        {
          onStep: () => firstStep(),
        },
      );
      await stepped;
      await assert.rejects(
        runTrainingSession(base(out, { resume: true, options: { maxSteps: 1 } })),
        new RegExp(`${out} is being written by another training \\(pid ${process.pid}, charm train first, started \\d\\d:\\d\\d\\); wait for it or stop it`),
      );
      controller.abort();
      await first;
      assert.ok(!fs.existsSync(path.join(out, LOCK_NAME)) && !fs.existsSync(path.join(out, LOCK_OWNER_NAME)), 'released');
      const again = await runTrainingSession(base(out, { resume: true, options: { maxSteps: 1 } }));
      assert.ok(again.progress.step > 1);
    });

    it('takes over a lock whose holder was killed (its pid is gone)', async () => {
      const out = path.join(tmp.dir, 'stale-lock');
      fs.mkdirSync(path.join(out, LOCK_NAME), { recursive: true });
      const dead = execSync("sh -c 'echo $$'", { encoding: 'utf8' }).trim();
      fs.writeFileSync(
        path.join(out, LOCK_OWNER_NAME),
        JSON.stringify({ pid: Number(dead), command: 'charm train .', startedAt: new Date().toISOString(), host: os.hostname() }),
      );
      const r = await runTrainingSession(base(out, { options: { maxSteps: 2 } }));
      assert.equal(r.progress.step, 2);
    });

    it('a live holder in another process is named too (lock taken here, checked by the owner file)', async () => {
      const out = path.join(tmp.dir, 'held');
      fs.mkdirSync(out);
      const lock = await lockCheckpointFolder(out, 'charm train elsewhere');
      try {
        await assert.rejects(runTrainingSession(base(out, { options: { maxSteps: 1 } })), /being written by another training \(pid \d+, charm train elsewhere/);
      } finally {
        await lock.release();
      }
    });
  });

  describe('5. the output folder', () => {
    it('an --out that cannot be a folder fails before training, naming it and the errno', async () => {
      writeFiles(tmp.dir, { 'a-file': 'x' });
      const steps: number[] = [];
      await assert.rejects(
        runTrainingSession(base(path.join(tmp.dir, 'a-file', 'model'), { options: { maxSteps: 2 } }), { onStep: (e) => steps.push(e.step) }),
        /Cannot write checkpoints to .*a-file\/model: .*\(ENOTDIR\)/,
      );
      await assert.rejects(
        runTrainingSession(base(path.join(tmp.dir, 'a-file'), { options: { maxSteps: 2 } })),
        /Cannot write checkpoints to .*a-file: .*\(EEXIST\)/,
      );
      assert.deepEqual(steps, []);
    });

    for (const [code, words] of [
      ['ENOSPC', 'no space left on device'],
      ['EACCES', 'permission denied'],
    ] as const) {
      it(`${code} during a save names the folder and the errno, and keeps the previous checkpoint`, async () => {
        const out = path.join(tmp.dir, `fault-${code}`);
        await runTrainingSession(base(out, { options: { maxSteps: 5 } }));
        const io = failingIo('writeFile', code, (p) => p.endsWith('optimizer.bin'));
        await assert.rejects(runTrainingSession(base(out, { resume: true, io, options: { maxSteps: 5 } })), (e: Error) => {
          assert.equal(e.name, 'CharmError');
          assert.match(e.message, new RegExp(`Could not save the checkpoint in ${out}/latest: ${words} \\(${code}\\); the previous checkpoint was kept`));
          if (code === 'ENOSPC') assert.match(e.message, /needs about twice the checkpoint's size free \(about \d+ KB for \d+ KB\)/);
          return true;
        });
        assert.equal(metaOf(path.join(out, 'latest')).progress.step, 5);
        assert.deepEqual(tempFolders(out), []);
      });
    }

    it('ENOSPC for real on a small tmpfs: clear message, previous checkpoint kept', async () => {
      const mount = path.join(tmp.dir, 'tmpfs');
      fs.mkdirSync(mount);
      let mounted = false;
      try {
        execSync(`mount -t tmpfs -o size=256k tmpfs ${mount}`, { stdio: 'ignore' });
        mounted = true;
      } catch {
        console.log('      (mount -t tmpfs is not permitted here: the disk is filled with a file instead)');
      }
      try {
        const out = path.join(mount, 'model');
        await runTrainingSession(base(out, { options: { maxSteps: 5 } }));
        // Leave less room than one more copy of latest/ needs.
        const free = fs.statfsSync(mount).bavail * fs.statfsSync(mount).bsize;
        if (mounted) {
          const latestBytes = fs.readdirSync(path.join(out, 'latest')).reduce((n, f) => n + fs.statSync(path.join(out, 'latest', f)).size, 0);
          fs.writeFileSync(path.join(mount, 'filler'), new Uint8Array(Math.max(0, free - Math.floor(latestBytes / 2))));
        }
        const io = mounted ? undefined : failingIo('writeFile', 'ENOSPC', (p) => p.endsWith('optimizer.bin'));
        await assert.rejects(
          runTrainingSession(base(out, { resume: true, io, options: { maxSteps: 5 } })),
          /Could not save the checkpoint in .*: no space left on device \(ENOSPC\); the previous checkpoint was kept\. Saving needs about twice/,
        );
        assert.equal(metaOf(path.join(out, 'latest')).progress.step, 5);
        assert.deepEqual(tempFolders(out), []);
      } finally {
        if (mounted) execSync(`umount ${mount}`);
      }
    });
  });

  describe('6. leftover temporary folders', () => {
    it('are removed at the next start when their writer is gone, kept while it lives', async () => {
      const out = path.join(tmp.dir, 'leftovers');
      await runTrainingSession(base(out, { options: { maxSteps: 2 } }));
      const dead = Number(execSync("sh -c 'echo $$'", { encoding: 'utf8' }).trim());
      const stale = [`.best.tmp-${dead}-0a1b2c3d`, `.latest.tmp-${dead}-deadbeef`];
      const live = `.latest.tmp-1-00c0ffee`; // pid 1 is alive
      for (const name of [...stale, live]) writeFiles(path.join(out, name), { 'weights.bin': new Uint8Array(1000) });
      const warnings: string[] = [];
      await runTrainingSession(base(out, { resume: true, options: { maxSteps: 1 } }), { onWarning: (m) => warnings.push(m) });
      assert.deepEqual(tempFolders(out), [live]);
      assert.ok(
        warnings.some((w) => /Removed 2 temporary folders left by an interrupted save/.test(w)),
        warnings.join('\n'),
      );
    });
  });
});
