/**
 * Inline-completion latency, measured the way the editor drives it: a typing sequence on real text,
 * each keystroke going through the extension's completion pipeline (CompletionService: cache,
 * typed-through reuse, staleness, trimming) -> the inference process (dist/inferenceProcess.js over
 * IPC, per-document LSTM states) -> the model -> a trimmed suggestion. Prints p50/p95 per keystroke
 * for the default preset, idle and while a training process runs beside it, and the event-loop lag
 * of this process (which plays the extension host).
 *
 *   npx tsx bench/completionLatency.ts [--model DIR] [--train-seconds 60] [--keystrokes 400]
 *        [--interval-ms 80] [--backend auto|wasm|cpu|tensorflow] [--file PATH] [--json FILE]
 *        [--min-confidence P]   (default: the setting's default; 0 = every suggestion runs to its
 *                                full length, the worst case)
 *
 * Without --model it trains the default preset on this repo's src/ for --train-seconds (in the
 * training process, as the extension does) into bench/results/latency-model/ and reuses that model
 * on later runs (delete the folder to retrain). The debounce is set to 0: it is a fixed wait on top
 * of these figures (charm.inlineCompletions.debounceMs), not work.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_PRESET } from '../src/model/config';
import { CancelSource } from '../src/extension/completion/cancellation';
import { CompletionInput, CompletionService, Outcome } from '../src/extension/completion/completionService';
import { ChildOptions } from '../src/extension/ipc/childProcess';
import { InferenceClient } from '../src/extension/ipc/inferenceClient';
import { TrainerClient } from '../src/extension/ipc/trainerClient';
import { hasModel } from '../src/extension/modelStore';
import type { TrainingRequest } from '../src/extension/protocol';
import { DEFAULT_SETTINGS } from '../src/extension/settings';
import type { BackendChoice } from '../src/accel';

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const value = (flag: string, fallback: string): string => {
  const i = argv.indexOf(flag);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const trainSeconds = Number(value('--train-seconds', '60'));
const keystrokes = Number(value('--keystrokes', '400'));
const intervalMs = Number(value('--interval-ms', '80'));
const backend = value('--backend', 'auto') as BackendChoice;
const typingFile = path.resolve(ROOT, value('--file', 'src/training/trainingLoop.ts'));
const jsonOut = value('--json', '');
const minConfidence = Number(value('--min-confidence', String(DEFAULT_SETTINGS.inline.minConfidence)));
const defaultModel = path.join(ROOT, 'bench', 'results', 'latency-model');
const modelDir = path.resolve(value('--model', defaultModel));

const child = (name: string, script: string): ChildOptions => ({
  name,
  modulePath: path.join(ROOT, 'dist', script),
  log: process.env.CHARM_BENCH_LOG ? (l) => console.error(l) : undefined,
});

function trainingRequest(out: string, seconds: number, overwrite: boolean): TrainingRequest {
  return {
    paths: [path.join(ROOT, 'src')],
    out,
    resume: false,
    overwrite,
    preset: DEFAULT_PRESET,
    maxSeconds: seconds,
    evalEvery: 100,
    backend,
    corpus: { exclude: [], secretPatterns: [...DEFAULT_SETTINGS.training.exclude], maxFileBytes: 1_000_000 },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface RunStats {
  label: string;
  keystrokes: number;
  p50: number;
  p95: number;
  max: number;
  modelCalls: number;
  modelP50: number;
  modelP95: number;
  sources: Record<string, number>;
  stateReuse: Record<string, number>;
  shown: number;
  loopLagP50: number;
  loopLagP95: number;
  loopLagMax: number;
}

/**
 * Types `keystrokes` characters of the file into a simulated document, one every intervalMs,
 * asking for a completion after each, as VS Code does; the previous request is cancelled when the
 * next key comes (it normally has finished by then).
 */
async function typeAndMeasure(label: string, service: CompletionService, text: string): Promise<RunStats> {
  const start = text.indexOf('\n', Math.floor(text.length / 3)) + 1;
  const contextChars = DEFAULT_SETTINGS.inline.contextChars;
  const latencies: number[] = [];
  const modelLatencies: number[] = [];
  const sources: Record<string, number> = {};
  const stateReuse: Record<string, number> = {};
  let shown = 0;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  let previous: CancelSource | undefined;
  const doc = `file:///bench/${label.replace(/\W+/g, '-')}.ts`;
  for (let k = 1; k <= keystrokes; k++) {
    const keyAt = performance.now();
    previous?.cancel();
    const source = new CancelSource();
    previous = source;
    const offset = start + k;
    const before = text.slice(0, offset);
    const lineStart = before.lastIndexOf('\n') + 1;
    const input: CompletionInput = {
      doc,
      version: k,
      languageId: 'typescript',
      offset,
      window: before.slice(Math.max(0, offset - contextChars)),
      // Typing new text at the end of what exists so far: nothing after the cursor.
      linePrefix: before.slice(lineStart),
      lineSuffix: '',
      nextLine: undefined,
      eol: '\n',
    };
    const outcome: Outcome = await service.provide(input, source.token);
    const ms = performance.now() - keyAt;
    latencies.push(ms);
    if (outcome.kind === 'suggestion') {
      shown++;
      sources[outcome.source] = (sources[outcome.source] ?? 0) + 1;
    } else {
      sources[`none:${outcome.why}`] = (sources[`none:${outcome.why}`] ?? 0) + 1;
    }
    const reply = outcome.kind === 'suggestion' ? outcome.reply : undefined;
    if (reply || (outcome.kind === 'none' && outcome.model !== undefined)) modelLatencies.push(ms);
    if (reply) stateReuse[reply.reuse] = (stateReuse[reply.reuse] ?? 0) + 1;
    const wait = intervalMs - (performance.now() - keyAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  lag.disable();
  latencies.sort((a, b) => a - b);
  modelLatencies.sort((a, b) => a - b);
  const ns = (q: number) => lag.percentile(q) / 1e6;
  return {
    label,
    keystrokes,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies[latencies.length - 1],
    modelCalls: modelLatencies.length,
    modelP50: percentile(modelLatencies, 50),
    modelP95: percentile(modelLatencies, 95),
    sources,
    stateReuse,
    shown,
    loopLagP50: ns(50),
    loopLagP95: ns(95),
    loopLagMax: lag.max / 1e6,
  };
}

async function waitReady(client: InferenceClient): Promise<void> {
  while (client.state.kind !== 'ready') {
    if (client.state.kind === 'failed' || client.state.kind === 'none') throw new Error(`cannot load the model: ${JSON.stringify(client.state)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');

  if (!hasModel(modelDir)) {
    if (modelDir !== defaultModel) throw new Error(`no model in ${modelDir}`);
    console.log(`Training the "${DEFAULT_PRESET}" preset on src/ for ${trainSeconds} s into ${modelDir} (once; reused later)...`);
    const outcome = await new TrainerClient(trainingRequest(modelDir, trainSeconds, true), child('trainer', 'trainerProcess.js')).outcome;
    if (outcome.kind !== 'finished') throw new Error(`training failed: ${JSON.stringify(outcome)}`);
    console.log(`  trained ${outcome.step} steps, validation loss ${outcome.bestValLoss?.toFixed(3)}`);
  }

  const client = new InferenceClient(child('inference', 'inferenceProcess.js'));
  client.load(modelDir, backend);
  await waitReady(client);
  const info = client.state.kind === 'ready' ? client.state.info : undefined;
  const settings = { ...DEFAULT_SETTINGS.inline, debounceMs: 0, minConfidence };
  const service = () =>
    new CompletionService(
      {
        get ready() {
          return client.state.kind === 'ready';
        },
        complete: (r, t) => client.complete(r, t),
      },
      () => settings,
    );
  const text = fs.readFileSync(typingFile, 'utf8');

  // Warm up (JIT, first prime), then measure idle.
  await typeAndMeasure('warm-up', service(), text.slice(0, Math.floor(text.length / 2)));
  const idle = await typeAndMeasure('idle', service(), text);

  // The same with a training run beside it (low priority, as in the extension).
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'latency-train-'));
  let trainingSteps = 0;
  let firstStep: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    firstStep = r;
  });
  const training = new TrainerClient(trainingRequest(path.join(scratch, 'model'), 3600, true), child('trainer', 'trainerProcess.js'), {
    onStep: () => {
      trainingSteps++;
      firstStep();
    },
  });
  await started;
  const busy = await typeAndMeasure('while training', service(), text);
  await training.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
  client.dispose();

  const rows = [idle, busy];
  console.log('');
  console.log(`Model: ${modelDir} (step ${info?.step}, ${info?.parameters.toLocaleString('en-US')} parameters, completing on ${info?.backendDetail})`);
  console.log(
    `Typing ${keystrokes} characters of ${path.relative(ROOT, typingFile)}, one every ${intervalMs} ms; debounce 0; minConfidence ${minConfidence}; CPU: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
  );
  console.log(`Training beside it: ${trainingSteps} steps during the run (preset ${DEFAULT_PRESET}, backend ${backend}, low priority)`);
  console.log('');
  console.log('                   per keystroke (ms)        model calls (ms)         host event-loop lag (ms)');
  console.log('run                p50     p95     max       n     p50     p95      p50     p95     max     suggestions shown');
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(16)} ${f(r.p50).padStart(5)} ${f(r.p95).padStart(7)} ${f(r.max).padStart(7)}   ${String(r.modelCalls).padStart(5)} ${f(r.modelP50).padStart(7)} ${f(r.modelP95).padStart(7)}  ${f(r.loopLagP50).padStart(7)} ${f(r.loopLagP95).padStart(7)} ${f(r.loopLagMax).padStart(7)}     ${r.shown}/${r.keystrokes}`,
    );
  }
  for (const r of rows) console.log(`  ${r.label}: outcomes ${JSON.stringify(r.sources)}; model state reuse ${JSON.stringify(r.stateReuse)}`);
  if (jsonOut) {
    fs.mkdirSync(path.dirname(path.resolve(jsonOut)), { recursive: true });
    fs.writeFileSync(jsonOut, JSON.stringify({ model: info, keystrokes, intervalMs, trainingSteps, runs: rows }, null, 2));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
