import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { LocalCompletionModel } from '../../../src/extension/inference/localModel';
import { SeededRandom } from '../../../src/util/random';
import { tempDir, writeFiles } from '../helpers';

/** Varied filler around the lines under test: identifiers that share their first characters. */
function filler(seed: number, lines: number): string {
  const rng = new SeededRandom(seed);
  const names = ['subscriber', 'subscription', 'subject', 'subscribe', 'source', 'scheduler'];
  let out = '';
  for (let k = 0; k < lines; k++) {
    const a = names[Math.floor(rng.next() * names.length)];
    const b = names[Math.floor(rng.next() * names.length)];
    out += `  const ${a}${k} = ${b}.${names[k % names.length]}(${Math.floor(rng.next() * 100)});\n`;
  }
  return out;
}

describe('match model through the completion engine (workspace memory and document)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const line = '  return operate((source, subscriber) => innerFrom(notifier).subscribe(';

  const complete = (m: LocalCompletionModel, doc: string, before: string) =>
    m
      .complete(
        { doc, window: before, contextChars: 128, offset: before.length, maxChars: 40, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0.5 },
        NEVER_CANCELLED,
      )
      .then((r) => r?.text ?? '');

  it("completes a line the workspace holds once, far past what the 8-gram alone is sure of, and the document's own lines too", async () => {
    const work = path.join(tmp.dir, 'w');
    writeFiles(work, { 'a.ts': filler(1, 300) + line + 'createOperatorSubscriber(subscriber, next));\n' + filler(2, 300) });
    const withMatch = await LocalCompletionModel.open({ corpusPaths: [work] });
    const without = await LocalCompletionModel.open({ corpusPaths: [work], engine: { matchWeights: null } });
    const typed = filler(3, 5) + line.slice(0, 40);
    const rest = line.slice(40) + 'createOperatorSubscriber(subscriber, next));';
    const a = await complete(withMatch, 'file:///x.ts', typed);
    const b = await complete(without, 'file:///x.ts', typed);
    assert.ok(rest.startsWith(a) && a.length >= 20, `with the match model: "${a}"`);
    assert.ok(b.length < a.length, `without it: "${b}" is not shorter than "${a}"`);
    // A line written earlier in the same document, not in the workspace.
    const own = '  this.pendingTimers.set(id, setTimeout(() => this.flush(id), delayMs));\n';
    const doc = filler(4, 20) + own + filler(5, 3) + own.slice(0, 30);
    const c = await complete(withMatch, 'file:///y.ts', doc);
    const d = await complete(without, 'file:///y.ts', doc);
    assert.ok(own.slice(30).startsWith(c) && c.length > d.length, `from the document: "${c}" against "${d}" without the match model`);
    withMatch.dispose();
    without.dispose();
  });
});
