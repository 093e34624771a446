import * as assert from 'node:assert/strict';
import { CancelSource, NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { CompletionInput, CompletionModel, CompletionService } from '../../../src/extension/completion/completionService';
import { uncalibrated } from '../../../src/extension/completion/decision';
import { TypeThrough } from '../../../src/extension/completion/typeThrough';
import type { CompletionReply } from '../../../src/extension/ipc/inferenceClient';
import { DEFAULT_SETTINGS, InlineSettings } from '../../../src/extension/settings';

type Req = Parameters<CompletionModel['complete']>[0];

/** A model that answers `answer(req)` after `ms`, honouring cancellation, and records calls. */
class FakeModel implements CompletionModel {
  ready = true;
  calls: Req[] = [];
  constructor(
    private readonly answer: (req: Req) => string,
    private readonly ms = 0,
    private readonly p = 0.99,
  ) {}
  complete(req: Req, token: Parameters<CompletionModel['complete']>[1]): Promise<CompletionReply | undefined> {
    this.calls.push(req);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const text = this.answer(req);
        resolve({ text, logProbs: Array.from(text, () => Math.log(this.p)), next: '', reuse: 'prime', ms: this.ms, stoppedBy: 'length' });
      }, this.ms);
      token.onCancellationRequested(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

const settings =
  (more: Partial<InlineSettings> = {}) =>
  () => ({ ...DEFAULT_SETTINGS.inline, debounceMs: 0, ...more });

let version = 0;

function input(text: string, more: Partial<CompletionInput> = {}): CompletionInput {
  return {
    doc: 'file:///a.ts',
    version: ++version,
    languageId: 'typescript',
    offset: text.length,
    window: text,
    linePrefix: text.split('\n').pop() ?? '',
    lineSuffix: '',
    eol: '\n',
    ...more,
  };
}

describe('CompletionService (inline completion pipeline)', () => {
  it('asks the model and returns the trimmed suggestion', async () => {
    const model = new FakeModel(() => 'world();\nmore');
    const s = new CompletionService(model, settings());
    const out = await s.provide(input('hello '), NEVER_CANCELLED);
    assert.deepEqual(out.kind === 'suggestion' && [out.text, out.source], ['world();', 'model']);
    assert.equal(model.calls[0].stopAtNewline, true);
    assert.equal(model.calls[0].maxChars, 40);
  });

  it('caches by document version and position', async () => {
    const model = new FakeModel(() => 'abc');
    const s = new CompletionService(model, settings());
    const first = input('x');
    await s.provide(first, NEVER_CANCELLED);
    const again = await s.provide({ ...first }, NEVER_CANCELLED);
    assert.equal(again.kind === 'suggestion' && again.source, 'cache');
    await s.provide({ ...first, version: first.version + 1 }, NEVER_CANCELLED);
    assert.equal(model.calls.length, 2);
  });

  it('reuses the suggestion while the user types it, without calling the model', async () => {
    const model = new FakeModel(() => 'console.log');
    const s = new CompletionService(model, settings());
    await s.provide(input('  '), NEVER_CANCELLED);
    const typed = await s.provide(input('  cons'), NEVER_CANCELLED);
    assert.deepEqual(typed.kind === 'suggestion' && [typed.text, typed.source], ['ole.log', 'typed-through']);
    assert.equal(model.calls.length, 1);
    const diverged = await s.provide(input('  conx'), NEVER_CANCELLED);
    assert.equal(diverged.kind === 'suggestion' && diverged.source, 'model');
    assert.equal(model.calls.length, 2);
  });

  it('returns nothing when cancelled during the debounce, without calling the model', async () => {
    const model = new FakeModel(() => 'abc');
    const s = new CompletionService(model, settings({ debounceMs: 1000 }));
    const c = new CancelSource();
    const p = s.provide(input('x'), c.token);
    c.cancel();
    assert.deepEqual(await p, { kind: 'none', why: 'cancelled' });
    assert.equal(model.calls.length, 0);
  });

  it('cancels the model call with the token', async () => {
    const model = new FakeModel(() => 'abc', 10_000);
    const s = new CompletionService(model, settings());
    const c = new CancelSource();
    const p = s.provide(input('x'), c.token);
    await new Promise((r) => setTimeout(r, 20));
    c.cancel();
    assert.deepEqual(await p, { kind: 'none', why: 'cancelled' });
  });

  it('drops the answer to a request superseded by a newer one in the same document', async () => {
    const model = new FakeModel((r) => (r.window.endsWith('a') ? 'first' : 'second'), 30);
    const s = new CompletionService(model, settings());
    const older = s.provide(input('a'), NEVER_CANCELLED);
    await new Promise((r) => setTimeout(r, 5));
    const newer = s.provide(input('ab'), NEVER_CANCELLED);
    assert.deepEqual(await older, { kind: 'none', why: 'stale' });
    const n = await newer;
    assert.equal(n.kind === 'suggestion' && n.text, 'second');
  });

  it('a newer request arriving during the debounce makes the older one give up before the model call', async () => {
    // Two characters: a one-character suggestion saves nothing and is never shown.
    const model = new FakeModel(() => 'xy');
    const s = new CompletionService(model, settings({ debounceMs: 30 }));
    const older = s.provide(input('a'), NEVER_CANCELLED);
    const newer = s.provide(input('ab'), NEVER_CANCELLED);
    assert.deepEqual(await older, { kind: 'none', why: 'stale' });
    assert.equal((await newer).kind, 'suggestion');
    assert.equal(model.calls.length, 1);
  });

  it('applies the threshold: an unsure model gives nothing', async () => {
    const s = new CompletionService(new FakeModel(() => 'zzz', 0, 0.05), settings());
    assert.deepEqual(await s.provide(input('x'), NEVER_CANCELLED), { kind: 'none', why: 'unsure', model: 'zzz' });
  });

  it('says "unsure" when the model stopped before its first confident character', async () => {
    const model = new FakeModel(() => '');
    const complete = model.complete.bind(model);
    model.complete = async (req, token) => {
      const r = await complete(req, token);
      return r && { ...r, stoppedBy: 'unsure' };
    };
    const s = new CompletionService(model, settings());
    assert.deepEqual(await s.provide(input('x'), NEVER_CANCELLED), { kind: 'none', why: 'unsure', model: '' });
    assert.equal(
      model.calls[0].minConfidence,
      uncalibrated(DEFAULT_SETTINGS.inline.minConfidence),
      'the threshold goes to the model, as the joint probability it stands for',
    );
  });

  it('never shows a suggestion that looks like a secret, nor logs it', async () => {
    const secret = new CompletionService(new FakeModel(() => 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'), settings());
    assert.deepEqual(await secret.provide(input('const token = "'), NEVER_CANCELLED), { kind: 'none', why: 'secret' });
    const placeholder = new CompletionService(new FakeModel(() => '<secret>'), settings());
    assert.deepEqual(await placeholder.provide(input('password = '), NEVER_CANCELLED), { kind: 'none', why: 'secret' });
    const ordinary = new CompletionService(new FakeModel(() => 'prompt();'), settings());
    assert.equal((await ordinary.provide(input('const password = '), NEVER_CANCELLED)).kind, 'suggestion');
  });

  it('honours the enabled switch, the languages map and a missing model', async () => {
    const model = new FakeModel(() => 'abc');
    assert.equal((await new CompletionService(model, settings({ enabled: false })).provide(input('x'), NEVER_CANCELLED)).kind, 'none');
    const off = await new CompletionService(model, settings({ languages: { typescript: false } })).provide(input('x'), NEVER_CANCELLED);
    assert.deepEqual(off, { kind: 'none', why: 'language-off' });
    model.ready = false;
    assert.deepEqual(await new CompletionService(model, settings()).provide(input('x'), NEVER_CANCELLED), { kind: 'none', why: 'no-model' });
    assert.equal(model.calls.length, 0);
  });

  it('asks for several lines only in multiline mode with nothing after the cursor, and uses the document line end', async () => {
    const model = new FakeModel(() => 'a\nb');
    const s = new CompletionService(model, settings({ multiline: true }));
    const out = await s.provide(input('x', { eol: '\r\n' }), NEVER_CANCELLED);
    assert.equal(out.kind === 'suggestion' && out.text, 'a\r\nb');
    assert.equal(model.calls[0].stopAtNewline, false);
    await s.provide(input('y', { lineSuffix: ')' }), NEVER_CANCELLED);
    assert.equal(model.calls[1].stopAtNewline, true);
  });

  it('reset() forgets cached suggestions (a new model)', async () => {
    const model = new FakeModel(() => 'abc');
    const s = new CompletionService(model, settings());
    const same = input('x');
    await s.provide(same, NEVER_CANCELLED);
    s.reset();
    await s.provide(same, NEVER_CANCELLED);
    assert.equal(model.calls.length, 2);
  });
});

describe('TypeThrough', () => {
  it('matches only typed prefixes at the same place, across CRLF', () => {
    const t = new TypeThrough();
    t.remember('d', 10, '0123456789', 'abc\ndef');
    assert.equal(t.match('d', 12, '0123456789ab'), 'c\ndef');
    assert.equal(t.match('d', 16, '0123456789abc\r\nd'), 'ef');
    assert.equal(t.match('d', 12, '0123456789ax'), undefined);
    assert.equal(t.match('d', 12, 'X123456789ab'), undefined, 'text before changed');
    assert.equal(t.match('d', 10, '0123456789'), undefined, 'same position: the cache answers that');
    assert.equal(t.match('d', 17, '0123456789abc\ndef'), undefined, 'typed all of it');
    t.forget('d');
    assert.equal(t.match('d', 12, '0123456789ab'), undefined);
  });
});
