/**
 * When the LSTM adapts to saved files (AdaptScheduler, with a fake clock): debounced, batched and
 * bounded, one at a time, not while training or with the setting off, cancelled before a training;
 * and the trainer protocol's adaptation messages.
 */
import * as assert from 'node:assert/strict';
import { isHostToTrainer, isTrainerToHost } from '../../../src/extension/protocol';
import { AdaptScheduler, RunningAdaptation, SchedulerClock } from '../../../src/extension/training/adaptScheduler';

class FakeClock implements SchedulerClock {
  now = 0;
  private timers = new Map<number, { at: number; run: () => void }>();
  private next = 1;
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, run });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time on, running the timers due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].run();
    }
    this.now = end;
  }
}

/** An adaptation the test ends by hand. */
interface FakeRun extends RunningAdaptation {
  files: string[];
  finish(): void;
  stopped: boolean;
}

function setup(limits = { debounceMs: 30_000, maxChars: 1000 }) {
  const clock = new FakeClock();
  const runs: FakeRun[] = [];
  const state = { allowed: true };
  const scheduler = new AdaptScheduler(
    {
      clock,
      canAdapt: () => state.allowed,
      start: (files) => {
        let finish = () => undefined as void;
        const done = new Promise<void>((resolve) => (finish = resolve));
        const run: FakeRun = {
          files,
          done,
          finish,
          stopped: false,
          stop: async () => {
            run.stopped = true;
            finish();
            await done;
          },
        };
        runs.push(run);
        return run;
      },
    },
    limits,
  );
  return { clock, runs, state, scheduler };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('AdaptScheduler', () => {
  it('waits for the quiet time after the last save, then adapts to the files saved meanwhile, in save order', () => {
    const { clock, runs, scheduler } = setup();
    scheduler.saved('/w/a.ts', 100);
    clock.advance(20_000);
    scheduler.saved('/w/b.ts', 100);
    clock.advance(20_000);
    assert.equal(runs.length, 0, 'a save restarts the quiet time');
    scheduler.saved('/w/a.ts', 120);
    clock.advance(29_999);
    assert.equal(runs.length, 0);
    clock.advance(1);
    assert.deepEqual(
      runs.map((r) => r.files),
      [['/w/b.ts', '/w/a.ts']],
    );
    assert.deepEqual(scheduler.state, { pending: [], scheduled: false, running: true });
  });

  it('keeps the newest files within the character budget', () => {
    const { clock, runs, scheduler } = setup();
    scheduler.saved('/w/old.ts', 600);
    scheduler.saved('/w/mid.ts', 300);
    scheduler.saved('/w/new.ts', 300);
    clock.advance(30_000);
    assert.deepEqual(runs[0].files, ['/w/mid.ts', '/w/new.ts']);
    // One file over the budget alone still goes (the engine keeps its end).
    scheduler.saved('/w/huge.ts', 5000);
    assert.deepEqual(scheduler.state.pending, ['/w/huge.ts']);
  });

  it('runs one at a time: files saved during a run wait for it, then for their quiet time', async () => {
    const { clock, runs, scheduler } = setup();
    scheduler.saved('/w/a.ts', 10);
    clock.advance(30_000);
    scheduler.saved('/w/b.ts', 10);
    clock.advance(60_000);
    assert.equal(runs.length, 1, 'not while the first runs');
    runs[0].finish();
    await settle();
    assert.equal(scheduler.state.scheduled, true);
    clock.advance(30_000);
    assert.deepEqual(
      runs.map((r) => r.files),
      [['/w/a.ts'], ['/w/b.ts']],
    );
  });

  it('does nothing while it may not adapt (the setting off, no model, a training running)', () => {
    const { clock, runs, scheduler, state } = setup();
    state.allowed = false;
    scheduler.saved('/w/a.ts', 10);
    clock.advance(60_000);
    assert.equal(runs.length, 0);
    assert.deepEqual(scheduler.state, { pending: [], scheduled: false, running: false });
    // Allowed at the save, not any more when the quiet time ends (a training started): dropped.
    state.allowed = true;
    scheduler.saved('/w/b.ts', 10);
    state.allowed = false;
    clock.advance(30_000);
    assert.equal(runs.length, 0);
    assert.deepEqual(scheduler.state.pending, []);
  });

  it('cancel (before a training) stops the running adaptation, drops what waits, and resolves once it is gone', async () => {
    const { clock, runs, scheduler } = setup();
    scheduler.saved('/w/a.ts', 10);
    clock.advance(30_000);
    scheduler.saved('/w/b.ts', 10);
    await scheduler.cancel();
    assert.equal(runs[0].stopped, true);
    await settle();
    assert.deepEqual(scheduler.state, { pending: [], scheduled: false, running: false });
    clock.advance(60_000);
    assert.equal(runs.length, 1, 'nothing starts after the cancel');
  });

  it('dispose (the window closes) stops the run and schedules nothing more', async () => {
    const { clock, runs, scheduler } = setup();
    scheduler.saved('/w/a.ts', 10);
    clock.advance(30_000);
    scheduler.saved('/w/b.ts', 10);
    scheduler.dispose();
    assert.equal(runs[0].stopped, true);
    await settle();
    scheduler.saved('/w/c.ts', 10);
    clock.advance(60_000);
    assert.equal(runs.length, 1);
  });
});

describe('trainer protocol: adaptation messages', () => {
  const wire = (m: unknown): unknown => JSON.parse(JSON.stringify(m));

  it('accepts the adapt job and its report', () => {
    const job = { root: '/m', files: ['/w/a.ts'], steps: 20, learningRate: 1e-3, maxSeconds: 60, maxChars: 200_000, backend: 'wasm' };
    assert.ok(isHostToTrainer(wire({ type: 'adapt', job })));
    assert.ok(isTrainerToHost(wire({ type: 'adapted', written: true, reason: 'adapted', files: 1, lossBefore: 1.5, lossAfter: 1.2 })));
    assert.ok(isTrainerToHost(wire({ type: 'adapted', written: false, reason: 'no-text', files: 0, lossBefore: null, lossAfter: null })));
  });

  it('rejects malformed ones', () => {
    assert.equal(isHostToTrainer({ type: 'adapt' }), false);
    assert.equal(isHostToTrainer({ type: 'adapt', job: 'files' }), false);
    assert.equal(isTrainerToHost({ type: 'adapted', written: 'yes', reason: 'adapted', files: 1, lossBefore: 1, lossAfter: 1 }), false);
    assert.equal(isTrainerToHost({ type: 'adapted', written: true, reason: 'adapted', files: 1 }), false);
    assert.equal(isTrainerToHost({ type: 'adapted', written: true, reason: 'adapted', files: '1', lossBefore: null, lossAfter: null }), false);
  });
});
