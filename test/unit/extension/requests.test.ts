import * as assert from 'node:assert/strict';
import { CancelSource, delay, NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { LatestRequests } from '../../../src/extension/completion/latestRequests';
import { RequestQueue } from '../../../src/extension/inference/requestQueue';

describe('request cancellation and staleness', () => {
  describe('RequestQueue (inference process)', () => {
    it('runs requests in order', () => {
      const q = new RequestQueue<{ id: number; doc?: string }>();
      q.push({ id: 1, doc: 'a' });
      q.push({ id: 2, doc: 'b' });
      q.push({ id: 3 });
      assert.deepEqual([q.take()?.id, q.take()?.id, q.take()?.id, q.take()], [1, 2, 3, undefined]);
    });

    it('drops the waiting requests of a document when a newer one arrives', () => {
      const q = new RequestQueue<{ id: number; doc?: string }>();
      q.push({ id: 1, doc: 'a' });
      q.push({ id: 2, doc: 'b' });
      assert.deepEqual(
        q.push({ id: 3, doc: 'a' }).map((r) => r.id),
        [1],
      );
      assert.deepEqual([q.take()?.id, q.take()?.id], [2, 3]);
    });

    it('flags the running request of a document as cancelled when a newer one arrives', () => {
      const q = new RequestQueue<{ id: number; doc?: string }>();
      q.push({ id: 1, doc: 'a' });
      const running = q.take();
      assert.equal(q.isCancelled(1), false);
      q.push({ id: 2, doc: 'a' });
      assert.equal(q.isCancelled(1), true);
      q.finish(running as { id: number });
      assert.equal(q.isCancelled(1), false, 'forgotten once finished');
      assert.equal(q.take()?.id, 2);
    });

    it('never supersedes requests without a document (generation, samples)', () => {
      const q = new RequestQueue<{ id: number; doc?: string }>();
      q.push({ id: 1 });
      assert.deepEqual(q.push({ id: 2 }), []);
      assert.equal(q.size, 2);
    });

    it('cancels by id: removes a waiting request, flags a running one', () => {
      const q = new RequestQueue<{ id: number; doc?: string }>();
      q.push({ id: 1, doc: 'a' });
      q.push({ id: 2, doc: 'b' });
      q.take();
      assert.equal(q.cancel(2)?.id, 2);
      assert.equal(q.cancel(1), undefined);
      assert.equal(q.isCancelled(1), true);
      assert.equal(q.cancel(99), undefined);
    });
  });

  describe('LatestRequests (host)', () => {
    it('only the newest request of a document is current', () => {
      const l = new LatestRequests();
      const a1 = l.begin('a');
      const b1 = l.begin('b');
      const a2 = l.begin('a');
      assert.equal(l.isLatest('a', a1), false);
      assert.equal(l.isLatest('a', a2), true);
      assert.equal(l.isLatest('b', b1), true);
      l.end('a', a1); // stale end: a2 stays current
      assert.equal(l.isLatest('a', a2), true);
      l.end('a', a2);
      assert.equal(l.isLatest('a', a2), false);
    });
  });

  describe('cancellation tokens', () => {
    it('delay resolves true after the time, false when cancelled first', async () => {
      assert.equal(await delay(5, NEVER_CANCELLED), true);
      const s = new CancelSource();
      const p = delay(10_000, s.token);
      s.cancel();
      assert.equal(await p, false);
      assert.equal(await delay(5, s.token), false, 'already cancelled');
    });

    it('calls listeners once, and at once when already cancelled', () => {
      const s = new CancelSource();
      let calls = 0;
      const sub = s.token.onCancellationRequested(() => calls++);
      s.token.onCancellationRequested(() => calls++).dispose();
      s.cancel();
      s.cancel();
      sub.dispose();
      assert.equal(calls, 1);
      assert.equal(s.token.isCancellationRequested, true);
      s.token.onCancellationRequested(() => calls++);
      assert.equal(calls, 2);
    });
  });
});
