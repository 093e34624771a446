/**
 * Fits the completion mixture's weights (LSTM, workspace n-gram, document cache, per bucket of the
 * cache's matched context; see src/extension/inference/nextChar.ts) by expectation-maximisation on
 * text the workspace n-gram has not counted: files of the training folder held out of the n-gram,
 * each typed from its start so that the document cache knows only what came before.
 *
 *   npx tsx bench/fitMixture.ts --model DIR --workspace DIR [--files N] [--chars N] [--seed N]
 *
 * Prints the weights as JSON (DEFAULT_WEIGHTS in nextChar.ts come from this on rxjs 7.8.1's src/)
 * and the cross-entropy of each part and of the mixture before and after the fit. The match models,
 * mixed in after these three parts, are left out here: their weights were set on the keystroke
 * benchmark (DEFAULT_MATCH_WEIGHTS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadForInference } from '../src/extension/inference/modelLoader';
import { bucketOf, DEFAULT_WEIGHTS, MixtureWeights, NextCharModel } from '../src/extension/inference/nextChar';
import { CharNgram } from '../src/model/ngram';
import { buildCorpus } from '../src/training/corpus';
import { SeededRandom } from '../src/util/random';

const argv = process.argv.slice(2);
const flag = (name: string, fallback?: string): string => {
  const i = argv.indexOf(name);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  if (fallback === undefined) throw new Error(`${name} is required`);
  return fallback;
};

async function main(): Promise<void> {
  const modelDir = flag('--model');
  const workspace = path.resolve(flag('--workspace'));
  const files = Number(flag('--files', '8'));
  const chars = Number(flag('--chars', '4000'));
  const rng = new SeededRandom(Number(flag('--seed', '7')));

  const corpus = await buildCorpus([workspace]);
  const paths = corpus.files.map((f) => f.path).filter((p) => fs.statSync(p).size >= 2000);
  const heldOut = new Set<string>();
  while (heldOut.size < Math.min(files, paths.length)) heldOut.add(paths[Math.floor(rng.next() * paths.length)]);
  const ngram = new CharNgram({ order: 8 });
  for (const f of corpus.files) if (!heldOut.has(f.path)) ngram.add(fs.readFileSync(f.path, 'utf8').replace(/\r\n?/g, '\n') + '\n\n');

  const lstm = await loadForInference(modelDir, 'auto');
  const next = new NextCharModel({ model: lstm.model, vocab: lstm.vocab }, ngram);
  // One model per part, each answering alone (the document part: neither LSTM nor corpus).
  const parts = [0, 1, 2].map(
    (k) => new NextCharModel(k === 0 ? { model: lstm.model, vocab: lstm.vocab } : null, k === 1 ? ngram : null, DEFAULT_WEIGHTS, 8, [], null),
  );
  // Per position: the probability each part gives the true character, and the cache's bucket.
  const rows: { p: [number, number, number]; bucket: number }[] = [];
  for (const file of heldOut) {
    const text = fs.readFileSync(file, 'utf8').replace(/\r\n?/g, '\n').slice(0, chars);
    const doc = new CharNgram({ order: 8 });
    const state = lstm.model.zeroState();
    lstm.model.feed(lstm.vocab.encode('\n'), state);
    const history: number[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0) as number;
      const point = { lstm: state, history: next.trimHistory(history) };
      const pDoc = doc.total > 0 ? doc.predict(point.history) : null;
      const pCorpus = ngram.predict(point.history);
      const p = parts.map((m, k) => {
        if (k === 2 && !pDoc) return 0;
        const d = m.distribution(point, k === 2 ? { ngram: doc, match: null } : null);
        const s = m.slotOf(cp);
        return s < d.size ? d.probs[s] : 0;
      });
      rows.push({ p: p.map((v) => Math.max(v, 1e-6)) as [number, number, number], bucket: bucketOf(pDoc ? pDoc.matchedOrder : 0, pCorpus.matchedOrder) });
      const id = lstm.vocab.idOf(ch);
      if (id !== null) lstm.model.step(id, state);
      doc.add(ch, String.fromCodePoint(...history.slice(-7)));
      history.push(cp);
      if (history.length > 16) history.splice(0, history.length - 16);
    }
  }
  const xent = (w: MixtureWeights) => {
    let sum = 0;
    for (const r of rows) {
      const b = w.byMatch[r.bucket];
      const total = b[0] + b[1] + b[2];
      sum -= Math.log((b[0] * r.p[0] + b[1] * r.p[1] + b[2] * r.p[2]) / total);
    }
    return sum / rows.length;
  };
  const weights: MixtureWeights = { byMatch: DEFAULT_WEIGHTS.byMatch.map((b) => [...b] as [number, number, number]) };
  const before = xent(weights);
  // EM, first with one bucket (the pooled weights), then per bucket with PRIOR pseudo-positions of
  // the pooled weights, so a bucket with few positions stays near them.
  const PRIOR = 300;
  const em = (bucketOfRow: (r: (typeof rows)[number]) => number, buckets: number, prior: [number, number, number] | null) => {
    let w: [number, number, number][] = Array.from({ length: buckets }, () => [1 / 3, 1 / 3, 1 / 3]);
    for (let iteration = 0; iteration < 60; iteration++) {
      const acc = w.map(() => [0, 0, 0]);
      const n = w.map(() => 0);
      for (const r of rows) {
        const b = bucketOfRow(r);
        const mix = w[b][0] * r.p[0] + w[b][1] * r.p[1] + w[b][2] * r.p[2];
        for (let k = 0; k < 3; k++) acc[b][k] += (w[b][k] * r.p[k]) / mix;
        n[b]++;
      }
      w = acc.map((a, b) => a.map((v, k) => (v + (prior ? PRIOR * prior[k] : 0)) / (n[b] + (prior ? PRIOR : 0)) || 0) as [number, number, number]);
    }
    return w;
  };
  const pooled = em(() => 0, 1, null)[0];
  weights.byMatch = em((r) => r.bucket, weights.byMatch.length, pooled).map((w) => w.map((v) => +v.toFixed(3)) as [number, number, number]);
  const partX = [0, 1, 2].map((k) => rows.reduce((s, r) => s - Math.log(r.p[k]), 0) / rows.length);
  const counts = weights.byMatch.map((_, b) => rows.filter((r) => r.bucket === b).length);
  console.log(
    JSON.stringify(
      {
        positions: rows.length,
        bucketPositions: counts,
        nats: { lstm: partX[0], corpus: partX[1], document: partX[2], mixDefault: before, mixFitted: xent(weights) },
        weights,
      },
      null,
      1,
    ),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
