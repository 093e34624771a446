/**
 * CharNgram build time, size and predict latency (issue #9's workspace memory).
 *
 *   npx tsx --expose-gc bench/ngram.ts [--order 8] [--queries 3000] [--mb 1.5] [file|folder ...]
 *
 * Default inputs: this repository's src/ (all .ts files concatenated) and tinyshakespeare.txt from
 * ../shared/data when present. A folder stands for its .ts files, concatenated in path order.
 * Predict is timed one call at a time after 64 characters of real text, at random positions, so
 * the figures include the context's conversion to code points (what a caller pays); decodeStep is
 * predict where each context is the previous one plus one character (typing, greedy decoding);
 * learnChar is add(one character, its 64 characters before), learning what the user types.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharNgram } from '../src/model/ngram';
import { SeededRandom } from '../src/util/random';

const argv = process.argv.slice(2);
const option = (flag: string, fallback: number): number => {
  const i = argv.indexOf(flag);
  if (i < 0) return fallback;
  const value = Number(argv.splice(i, 2)[1]);
  if (!Number.isFinite(value)) throw new Error(`${flag} needs a number`);
  return value;
};
const order = option('--order', 8);
const queries = option('--queries', 3000);
/** Inputs are cut to this many MB (of UTF-16 characters), 0 for all. */
const maxMB = option('--mb', 0);
const root = path.resolve(__dirname, '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...tsFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}

function readInput(file: string): string {
  if (!fs.statSync(file).isDirectory()) return fs.readFileSync(file, 'utf8');
  return tsFiles(file)
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
}

function defaultInputs(): string[] {
  const shakespeare = [path.resolve(root, '../shared/data/tinyshakespeare.txt'), path.resolve(root, '../../shared/data/tinyshakespeare.txt')];
  return [path.join(root, 'src'), ...shakespeare.filter((f) => fs.existsSync(f)).slice(0, 1)];
}

const heapMB = (): number => {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20 + process.memoryUsage().arrayBuffers / 2 ** 20;
};

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function bench(label: string, text: string): void {
  const before = heapMB();
  const model = new CharNgram({ order });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  model.add(text);
  const buildMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const heldMB = heapMB() - before;

  const rng = new SeededRandom(1);
  const times = new Float64Array(queries);
  let sink = 0;
  for (let i = 0; i < queries; i++) {
    const at = 64 + rng.int(Math.max(1, text.length - 64));
    const context = text.slice(at - 64, at);
    const s = performance.now();
    const p = model.predict(context);
    times[i] = (performance.now() - s) * 1000;
    sink += p.floor;
  }
  times.sort();
  const probTimes = new Float64Array(queries);
  for (let i = 0; i < queries; i++) {
    const at = 64 + rng.int(Math.max(1, text.length - 64));
    const s = performance.now();
    sink += model.prob(text.slice(at - 64, at), text.codePointAt(at) ?? 32);
    probTimes[i] = (performance.now() - s) * 1000;
  }
  probTimes.sort();
  // Decoding: each context is the previous one plus one code point (predict steps from the last call).
  const seqTimes = new Float64Array(queries);
  const from = 64 + rng.int(Math.max(1, text.length - queries - 64));
  for (let i = 0; i < queries; i++) {
    const context = text.slice(from + i - 64, from + i);
    const s = performance.now();
    sink += model.predict(context).floor;
    seqTimes[i] = (performance.now() - s) * 1000;
  }
  seqTimes.sort();
  // Typing: learn one character after its context, as the editor does for what the user types.
  const typedTimes = new Float64Array(Math.min(queries, 1000));
  for (let i = 0; i < typedTimes.length; i++) {
    const at = 64 + rng.int(Math.max(1, text.length - 64));
    const before = text.slice(at - 64, at);
    const ch = text[at];
    const s = performance.now();
    model.add(ch, before);
    typedTimes[i] = (performance.now() - s) * 1000;
  }
  typedTimes.sort();
  // Optional members: the reference version had neither.
  const sized = model as unknown as { nodeCount?: number; bytes?: number; full?: boolean };
  const row = {
    input: label,
    MB: +(text.length / 1e6).toFixed(2),
    order,
    buildS: +(buildMs / 1000).toFixed(2),
    buildCpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    nodes: sized.nodeCount ?? null,
    bytesMB: sized.bytes === undefined ? null : +(sized.bytes / 2 ** 20).toFixed(1),
    full: sized.full ?? null,
    heapDeltaMB: globalThis.gc ? +heldMB.toFixed(1) : null,
    predictP50us: +percentile(times, 0.5).toFixed(1),
    predictP95us: +percentile(times, 0.95).toFixed(1),
    probP50us: +percentile(probTimes, 0.5).toFixed(1),
    decodeStepP50us: +percentile(seqTimes, 0.5).toFixed(1),
    learnCharP50us: +percentile(typedTimes, 0.5).toFixed(1),
    symbols: model.predict('').symbols.length,
  };
  console.log(JSON.stringify(row));
  if (!Number.isFinite(sink)) throw new Error('unreachable: keeps the calls from being optimised away');
}

const inputs = argv.length > 0 ? argv : defaultInputs();
if (!globalThis.gc) console.log('(run with `npx tsx --expose-gc` to also measure the heap held)');
for (const input of inputs) {
  const text = readInput(input);
  bench(path.relative(process.cwd(), input) || input, maxMB > 0 ? text.slice(0, maxMB * 1e6) : text);
}
