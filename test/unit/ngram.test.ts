import * as assert from 'node:assert/strict';
import { CharNgram, DEFAULT_MAX_NGRAM_NODES, NgramPrediction } from '../../src/model/ngram';
import { SeededRandom } from '../../src/util/random';

const cp = (ch: string): number => ch.codePointAt(0) as number;
const cps = (text: string): number[] => [...text].map(cp);
/** The last n items (none when n is 0, unlike slice(-0)). */
const last = <T>(items: T[], n: number): T[] => items.slice(Math.max(0, items.length - n));

function probOf(p: NgramPrediction, symbol: string): number {
  const at = p.symbols.indexOf(cp(symbol));
  return at < 0 ? p.floor : p.probs[at];
}

function massOf(p: NgramPrediction): number {
  let sum = p.floor;
  for (const q of p.probs) sum += q;
  return sum;
}

function assertClose(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

/** A copy, since a prediction's arrays may be reused by the next predict call. */
function snapshot(p: NgramPrediction) {
  return { symbols: [...p.symbols], probs: [...p.probs], floor: p.floor, matchedOrder: p.matchedOrder, matchedCount: p.matchedCount };
}

function assertSamePrediction(actual: NgramPrediction, expected: ReturnType<typeof snapshot>, what: string): void {
  assert.deepEqual([...actual.symbols], expected.symbols, `${what}: symbols`);
  assert.equal(actual.matchedOrder, expected.matchedOrder, `${what}: matchedOrder`);
  assert.equal(actual.matchedCount, expected.matchedCount, `${what}: matchedCount`);
  assertClose(actual.floor, expected.floor, `${what}: floor`, 1e-9);
  for (let i = 0; i < expected.probs.length; i++)
    assertClose(actual.probs[i], expected.probs[i], `${what}: P(${String.fromCodePoint(expected.symbols[i])})`, 1e-9);
}

/**
 * Interpolated Witten-Bell computed the slow, obvious way: every count is found by scanning all the
 * text the model was given, position by position. Independent of the model's data structure.
 */
class BruteForceWittenBell {
  private readonly calls: Array<{ history: number[]; text: number[] }> = [];
  private readonly alphabet: number[] = [];

  constructor(private readonly order: number) {}

  add(text: string, before = ''): void {
    const counted = cps(text);
    this.calls.push({ history: last(cps(before), this.order - 1), text: counted });
    for (const c of counted) if (!this.alphabet.includes(c)) this.alphabet.push(c);
  }

  /** C(context c) for every c: how often `context` (exactly its k code points) preceded a counted c. */
  private followers(context: number[]): Map<number, number> {
    const out = new Map<number, number>();
    const k = context.length;
    for (const { history, text } of this.calls) {
      const all = [...history, ...text];
      for (let i = history.length; i < all.length; i++) {
        if (i < k) continue;
        let match = true;
        for (let j = 0; j < k && match; j++) match = all[i - k + j] === context[j];
        if (match) out.set(all[i], (out.get(all[i]) ?? 0) + 1);
      }
    }
    return out;
  }

  predict(context: string): ReturnType<typeof snapshot> {
    const history = last(cps(context), this.order - 1);
    const n = this.alphabet.length;
    let probs = new Array<number>(n).fill(1 / (n + 1));
    let floor = 1 / (n + 1);
    let matchedOrder = 0;
    let matchedCount = 0;
    for (let k = 0; k <= history.length; k++) {
      const next = this.followers(history.slice(history.length - k));
      let total = 0;
      for (const count of next.values()) total += count;
      if (total === 0) break;
      const d = next.size;
      probs = probs.map((p, i) => ((next.get(this.alphabet[i]) ?? 0) + d * p) / (total + d));
      floor = (d * floor) / (total + d);
      matchedOrder = k;
      matchedCount = total;
    }
    return { symbols: [...this.alphabet], probs, floor, matchedOrder, matchedCount };
  }
}

describe('CharNgram', () => {
  it('gives distributions that sum to 1 after any context, seen or not', () => {
    const rng = new SeededRandom(7);
    const letters = 'abcde fg\n(){};';
    const randomText = (length: number) => Array.from({ length }, () => letters[rng.int(letters.length)]).join('');
    const model = new CharNgram({ order: 5 });
    assertClose(massOf(model.predict('anything')), 1, 'empty model');
    model.add(randomText(3000));
    for (let i = 0; i < 300; i++) {
      const context = randomText(rng.int(12)) + (i % 5 === 0 ? 'XYZ'.slice(0, rng.int(3)) : '');
      const p = model.predict(context);
      assertClose(massOf(p), 1, `mass after ${JSON.stringify(context)}`, 1e-9);
      assert.ok(p.floor > 0 && p.probs.every((q) => q > 0), 'every symbol keeps some probability');
    }
  });

  it('matches hand-computed Witten-Bell values on "abab"', () => {
    // Counts (order 3): after "" : a 2, b 2 (total 4, 2 kinds); after "a": b 2; after "b": a 1;
    // after "ab": a 1; after "ba": b 1. Alphabet {a, b}: the uniform base gives 1/3 to a, b and the floor.
    // Order 0: P(a) = (2 + 2/3) / (4 + 2) = 4/9, P(b) = 4/9, floor = (2/3) / 6 = 1/9.
    // After "a": P(b) = (2 + 1 * 4/9) / (2 + 1) = 22/27, P(a) = (4/9) / 3 = 4/27, floor = 1/27.
    // After "b": P(a) = (1 + 4/9) / 2 = 13/18, P(b) = (4/9) / 2 = 4/18, floor = 1/18.
    // After "ab": P(a) = (1 + 13/18) / 2 = 31/36, P(b) = (4/18) / 2 = 4/36, floor = 1/36.
    const order2 = new CharNgram({ order: 2 });
    order2.add('abab');
    assert.equal(order2.total, 4);
    const afterA = order2.predict('a');
    assert.deepEqual([...afterA.symbols], [cp('a'), cp('b')]);
    assertClose(probOf(afterA, 'b'), 22 / 27, 'P(b|a)');
    assertClose(probOf(afterA, 'a'), 4 / 27, 'P(a|a)');
    assertClose(afterA.floor, 1 / 27, 'floor after a');
    assertClose(order2.prob('xab', cp('a')), 13 / 18, 'P(a|b), only the last code point counts at order 2');
    assertClose(order2.prob('b', cp('b')), 4 / 18, 'P(b|b)');
    assertClose(order2.prob('b', cp('z')), 1 / 18, 'P(z|b) is the floor');

    const order3 = new CharNgram({ order: 3 });
    order3.add('abab');
    const afterAb = order3.predict('ab');
    assertClose(probOf(afterAb, 'a'), 31 / 36, 'P(a|ab)');
    assertClose(probOf(afterAb, 'b'), 4 / 36, 'P(b|ab)');
    assertClose(afterAb.floor, 1 / 36, 'floor after ab');
    assert.equal(afterAb.matchedOrder, 2);
    assert.equal(afterAb.matchedCount, 1);
    assertClose(order3.prob('', cp('a')), 4 / 9, 'P(a) with no context');
  });

  it('reports the longest matched context and how often it was seen, and backs off when unseen', () => {
    const model = new CharNgram({ order: 3 });
    model.add('abab');
    const afterA = model.predict('a');
    assert.equal(afterA.matchedOrder, 1);
    assert.equal(afterA.matchedCount, 2);
    // "bb" was never seen: backs off to "b" (seen once), giving exactly the order-1 distribution.
    const afterBb = model.predict('bb');
    assert.equal(afterBb.matchedOrder, 1);
    assert.equal(afterBb.matchedCount, 1);
    assertClose(probOf(afterBb, 'a'), 13 / 18, 'P(a|bb) backs off to P(a|b)');
    // An unseen code point: only the order-0 distribution remains.
    const afterX = model.predict('abx');
    assert.equal(afterX.matchedOrder, 0);
    assert.equal(afterX.matchedCount, 4);
    assertClose(probOf(afterX, 'a'), 4 / 9, 'P(a|abx) backs off to P(a)');
    assertClose(afterX.floor, 1 / 9, 'floor after abx');
    // The same context as code points.
    assertSamePrediction(model.predict(cps('zab')), snapshot(model.predict('ab')), 'code point context');
    // Nothing learnt: uniform over "anything else".
    const empty = new CharNgram({ order: 3 }).predict('ab');
    assert.equal(empty.symbols.length, 0);
    assert.equal(empty.floor, 1);
    assert.equal(empty.matchedOrder, 0);
    assert.equal(empty.matchedCount, 0);
  });

  it('uses the `before` text as context without counting it', () => {
    const withBefore = new CharNgram({ order: 2 });
    withBefore.add('b', 'a');
    assert.equal(withBefore.total, 1);
    assert.deepEqual([...withBefore.predict('').symbols], [cp('b')], 'a is context only, not a symbol');
    // After "": P(b) = (1 + 1/2) / 2 = 3/4. After "a" (seen once, before b): P(b) = (1 + 3/4) / 2 = 7/8.
    const afterA = withBefore.predict('a');
    assert.equal(afterA.matchedOrder, 1);
    assertClose(probOf(afterA, 'b'), 7 / 8, 'P(b|a)');
    assertClose(afterA.floor, 1 / 8, 'floor after a');

    const without = new CharNgram({ order: 2 });
    without.add('b');
    assert.equal(without.predict('a').matchedOrder, 0);
    assertClose(without.prob('a', cp('b')), 3 / 4, 'P(b|a) without the context');
  });

  it('learns text added in pieces (each with the text before it) exactly as in one piece', () => {
    const text = 'const a = 1;\nconst b = a + 1;\nfunction f(x) { return x * 2; }\n// 😀 done 😀\n';
    const whole = new CharNgram({ order: 4 });
    whole.add(text);
    const pieces = new CharNgram({ order: 4 });
    const rng = new SeededRandom(3);
    let at = 0;
    while (at < text.length) {
      let end = Math.min(text.length, at + 1 + rng.int(9));
      if (end < text.length && /[\uDC00-\uDFFF]/.test(text[end])) end++; // do not split an emoji
      pieces.add(text.slice(at, end), text.slice(0, at));
      at = end;
    }
    assert.equal(pieces.total, whole.total);
    for (let i = 0; i <= text.length; i++) {
      const context = text.slice(Math.max(0, i - 5), i);
      assertSamePrediction(pieces.predict(context), snapshot(whole.predict(context)), `after ${JSON.stringify(context)}`);
    }
  });

  it('counts an astral code point (emoji) as one symbol', () => {
    const model = new CharNgram({ order: 2 });
    model.add('a😀b😀a');
    assert.equal(model.total, 5);
    const p = model.predict('😀');
    assert.deepEqual([...p.symbols], cps('a😀b'));
    assert.equal(p.matchedOrder, 1);
    assert.equal(p.matchedCount, 2);
    // After 😀: a 1, b 1 (total 2, 2 kinds); order 0: a 2, 😀 2, b 1 (total 5, 3 kinds), base 1/4.
    // P(a) = (2 + 3/4) / 8 = 11/32; P(a|😀) = (1 + 2 * 11/32) / 4 = 27/64.
    assertClose(model.prob('x😀', cp('a')), 27 / 64, 'P(a|😀)');
    assertClose(model.prob([cp('😀')], cp('a')), 27 / 64, 'P(a|😀) with a code point context');
  });

  it('ignores every context at order 1, `before` included', () => {
    const model = new CharNgram({ order: 1 });
    model.add('b', 'a');
    model.add('ab', 'xyz');
    const p = model.predict('xya');
    assert.equal(p.matchedOrder, 0);
    assert.equal(p.matchedCount, 3);
    assertSamePrediction(p, snapshot(model.predict('')), 'order 1 after "xya"');
  });

  it('rejects a bad order with a RangeError', () => {
    for (const order of [0, -1, 1.5, Number.NaN]) assert.throws(() => new CharNgram({ order }), RangeError, `order ${order}`);
  });

  it('agrees with a brute-force Witten-Bell on random text, orders and contexts', () => {
    const rng = new SeededRandom(11);
    const letters = [...'aab ba\ncb😀'];
    const randomText = (length: number) => Array.from({ length }, () => letters[rng.int(letters.length)]).join('');
    for (let trial = 0; trial < 12; trial++) {
      const order = 1 + rng.int(6);
      const model = new CharNgram({ order });
      const brute = new BruteForceWittenBell(order);
      let learnt = '';
      for (let call = 0; call < 1 + rng.int(4); call++) {
        // Sometimes continue the text learnt so far, sometimes start after an unrelated context.
        const piece = randomText(rng.int(120));
        const before = rng.int(2) === 0 ? learnt : randomText(rng.int(6)) + 'q';
        model.add(piece, before);
        brute.add(piece, before);
        learnt += piece;
        if (rng.int(3) === 0) model.compact();
      }
      for (let q = 0; q < 40; q++) {
        const start = rng.int(learnt.length + 1);
        const fromText = [...learnt.slice(start, start + 12)].slice(0, rng.int(order + 2)).join('');
        const context = q % 4 === 0 ? randomText(rng.int(order + 1)) + (q % 8 === 0 ? 'q' : '') : fromText;
        const expected = brute.predict(context);
        assertSamePrediction(model.predict(context), expected, `trial ${trial}, order ${order}, after ${JSON.stringify(context)}`);
        const symbol = [...'ab😀q'][q % 4];
        const at = expected.symbols.indexOf(cp(symbol));
        assertClose(model.prob(context, cp(symbol)), at < 0 ? expected.floor : expected.probs[at], `P(${symbol} | ${JSON.stringify(context)})`, 1e-9);
      }
    }
  });

  it('agrees with the brute force while typing: predict after each character, then learn it', () => {
    const rng = new SeededRandom(5);
    const letters = [...'ab ab\nc😀'];
    const model = new CharNgram({ order: 4 });
    const brute = new BruteForceWittenBell(4);
    let typed = '';
    for (let i = 0; i < 300; i++) {
      assertSamePrediction(model.predict(typed), brute.predict(typed), `after ${i} characters`);
      // Decoding ahead without learning: each context is the previous one plus one code point.
      let ahead = typed;
      for (let step = 0; step < 3; step++) {
        ahead += letters[rng.int(letters.length)];
        assertSamePrediction(model.predict(ahead), brute.predict(ahead), `ahead ${JSON.stringify(ahead.slice(-4))}`);
      }
      const ch = letters[rng.int(letters.length)];
      model.add(ch, typed);
      brute.add(ch, typed);
      typed += ch;
    }
  });

  it('keeps its predictions through compaction, on a model large enough to compact by itself', () => {
    const rng = new SeededRandom(9);
    const words = ['const', 'let', 'value', 'return', 'x', '=', ';', '\n', ' ', '(', ')', 'f', '😀'];
    let text = '';
    while (text.length < 12000) text += words[rng.int(words.length)] + (rng.int(3) === 0 ? ' ' : '');
    const inPieces = new CharNgram({ order: 6 });
    for (let at = 0; at < text.length;) {
      let end = Math.min(text.length, at + 500);
      if (/[\uDC00-\uDFFF]/.test(text[end] ?? '')) end++; // do not split an emoji
      inPieces.add(text.slice(at, end), text.slice(0, at));
      at = end;
    }
    const whole = new CharNgram({ order: 6 });
    whole.add(text);
    assert.ok(whole.nodeCount > 8192, `${whole.nodeCount} nodes: enough for add to compact`);
    assert.equal(inPieces.nodeCount, whole.nodeCount);
    const contexts = Array.from({ length: 200 }, () => {
      const at = rng.int(text.length);
      return text.slice(Math.max(0, at - 8), at);
    });
    const before = contexts.map((c) => snapshot(inPieces.predict(c)));
    inPieces.compact();
    contexts.forEach((c, i) => {
      assertSamePrediction(inPieces.predict(c), before[i], `after compact, ${JSON.stringify(c)}`);
      assertSamePrediction(whole.predict(c), before[i], `learnt whole, ${JSON.stringify(c)}`);
    });
  });

  it('counts its nodes (distinct n-grams + the root) and the bytes it holds', () => {
    const model = new CharNgram({ order: 3 });
    assert.equal(model.nodeCount, 1);
    const empty = model.bytes;
    // "abab" at order 3: a, b; ab, ba; aba, bab.
    model.add('abab');
    assert.equal(model.nodeCount, 7);
    model.add('ab', 'ab'); // only n-grams already known
    assert.equal(model.nodeCount, 7);
    assert.ok(empty > 0 && model.bytes >= empty);
    const big = new CharNgram({ order: 3 });
    big.add(Array.from({ length: 4000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join(''));
    assert.ok(big.bytes > empty && big.bytes >= big.nodeCount * 20, `${big.bytes} bytes for ${big.nodeCount} nodes`);
    assert.equal(big.full, false);
    assert.equal(big.maxNodes, DEFAULT_MAX_NGRAM_NODES);
  });

  it('stops creating nodes at maxNodes but keeps counting what it knows', () => {
    const model = new CharNgram({ order: 3, maxNodes: 7 });
    model.add('abab');
    assert.equal(model.nodeCount, 7);
    assert.equal(model.full, true);
    const pBefore = model.prob('a', cp('b'));
    const seenBefore = model.predict('ab').matchedCount;
    model.add('abab', 'abab');
    model.add('xyz', 'ab');
    assert.equal(model.nodeCount, 7, 'no node beyond the bound');
    assert.equal(model.total, 11);
    assert.ok(model.prob('a', cp('b')) > pBefore, 'a known n-gram keeps counting');
    assert.equal(model.predict('ab').matchedCount, seenBefore + 2);
    // New symbols still join the alphabet; every distribution still sums to 1.
    assert.deepEqual([...model.predict('').symbols], cps('abxyz'));
    for (const context of ['', 'a', 'ab', 'ba', 'x', 'xy', 'b😀']) assertClose(massOf(model.predict(context)), 1, `mass after ${context}`);
    for (const maxNodes of [0, -5, 2.5, Number.NaN, 2 ** 40]) assert.throws(() => new CharNgram({ order: 3, maxNodes }), RangeError, `maxNodes ${maxNodes}`);
  });
});
