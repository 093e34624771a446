/**
 * Measures one preset in this process (run by bench/run.ts, one child process per preset so that
 * peak RSS belongs to that preset alone). Prints one JSON line on stdout.
 *
 *   npx tsx bench/presetBench.ts --preset small --steps 20 --text FILE [--backend wasm] [--one-thread-lstm]
 *
 * --one-thread-lstm runs the LSTM's time loop on one thread (see src/accel/lstm/twoThreadSequence.ts), to
 * compare the two.
 */
import * as fs from 'node:fs';
import { initBackend, BackendChoice } from '../src/accel';
import { CharModel } from '../src/model/charModel';
import { PRESETS, PresetName } from '../src/model/config';
import { TextGenerator } from '../src/model/sampler';
import { CharDataset } from '../src/training/dataset';
import { TrainingLoop } from '../src/training/trainingLoop';
import { DEFAULT_HYPERPARAMETERS } from '../src/training/hyperparameters';
import { Vocabulary } from '../src/training/vocabulary';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

async function main(): Promise<void> {
  const presetName = arg('preset', 'small') as PresetName;
  const preset = PRESETS[presetName];
  const steps = Number(arg('steps', '20'));
  const warmup = Math.min(3, Math.floor(steps / 3));
  const batchSize = Number(arg('batch-size', String(preset.batchSize)));
  const seqLength = Number(arg('seq-length', String(preset.seqLength)));
  const backend = await initBackend(arg('backend', 'auto') as BackendChoice, { twoThreadLstm: !process.argv.includes('--one-thread-lstm') });
  const text = fs.readFileSync(arg('text', ''), 'utf8').replace(/\r\n?/g, '\n');
  const vocab = Vocabulary.build(text);
  const model = CharModel.create({ cell: 'lstm', vocabSize: vocab.size, embedding: preset.embedding, units: preset.units, layers: preset.layers });
  const dataset = new CharDataset(vocab.encode(text), { seqLength, batchSize, valFraction: 0.01, seed: 1 });
  const trainer = new TrainingLoop(model, dataset, {
    ...DEFAULT_HYPERPARAMETERS,
    seqLength,
    batchSize,
    learningRate: preset.learningRate,
    maxSteps: steps,
    evalEvery: 1_000_000,
    maxEvalChars: 1,
    patience: 0,
  });
  const rates: number[] = [];
  await trainer.run({ onStep: (e) => rates.push(e.charsPerSec), save: async () => undefined });
  trainer.dispose();
  // Peak memory of training alone; sampling below copies the weights out and may add to it.
  const trainPeakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

  const generator = new TextGenerator(model, vocab);
  const prime = text.slice(1000, 1256);
  generator.feed(prime.slice(0, 16)); // warm-up
  generator.reset();
  const primeStart = performance.now();
  generator.feed(prime);
  const primeMs = performance.now() - primeStart;
  generator.generate({ maxLength: 20, temperature: 1, seed: 1 }); // warm-up
  const sampleChars = Number(arg('sample-chars', '300'));
  const sample = generator.generate({ maxLength: sampleChars, temperature: 1, seed: 2 });
  generator.dispose();
  model.dispose();

  const result = {
    impl: 'charm',
    preset: presetName,
    backend: backend.name,
    backendDetail: backend.detail,
    embedding: preset.embedding,
    units: preset.units,
    batchSize,
    seqLength,
    trainCharsPerSec: Math.round(median(rates.slice(warmup))),
    stepsMeasured: rates.length - warmup,
    sampleMsPerChar: Number(sample.msPerChar.toFixed(4)),
    primeMs: Number(primeMs.toFixed(1)),
    trainPeakRssMB,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
