/**
 * `npm run bench` (or `npm run bench -- --quick`): per preset, training chars/s, sampling ms/char,
 * priming ms and peak RSS of Charm, and, when Debian's python3-torch is importable, of the same
 * shapes in PyTorch, run alternately in the same session so the ratios are fair on a noisy machine.
 * PyTorch runs in both of its useful thread settings and its faster one counts.
 *
 * Options: --quick (a few minutes), --presets tiny,small,medium,seed, --rounds N,
 * --text FILE (default: ../shared/data/tinyshakespeare.txt when present, else this repo's sources),
 * --backend auto|wasm|cpu|tensorflow, --no-torch, --json FILE (also write the raw results).
 */
import { spawnSync } from 'node:child_process';
import { bundleForNode } from './bundle';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESETS, PresetName } from '../src/model/config';

interface Result {
  impl: string;
  preset: string;
  backend: string;
  trainCharsPerSec: number;
  sampleMsPerChar: number;
  primeMs: number;
  /** Peak RSS at the end of training (the #3 target), and over the whole run, sampling included. */
  trainPeakRssMB: number;
  peakRssMB: number;
}

const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(flag);
const value = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : fallback;
};

const quick = has('--quick');
const presets = value('--presets', quick ? 'tiny,small,seed' : 'tiny,small,medium,seed').split(',') as PresetName[];
const rounds = Number(value('--rounds', quick ? '1' : '3'));
const steps: Record<PresetName, number> = quick ? { tiny: 12, small: 12, medium: 6, seed: 4 } : { tiny: 40, small: 40, medium: 20, seed: 10 };
const root = path.resolve(__dirname, '..');

function defaultText(): string {
  const shared = path.resolve(root, '../shared/data/tinyshakespeare.txt');
  if (fs.existsSync(shared)) return shared;
  // No shared data (a fresh clone elsewhere): this repository's own sources.
  const file = path.join(os.tmpdir(), 'charm-bench-corpus.txt');
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|md|json)$/.test(entry.name)) parts.push(fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'src'));
  fs.writeFileSync(file, parts.join('\n\n'));
  return file;
}

function torchAvailable(): boolean {
  if (has('--no-torch')) return false;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0;
}

function runJson(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Result | null {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) {
    process.stderr.write(`  failed: ${command} ${args.join(' ')}\n${r.stderr}\n`);
    return null;
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Result;
}

/**
 * PyTorch in its fastest thread setting for the shape. On this 2-core machine its default (2
 * intra-op threads over a 2-thread OpenBLAS) was the slowest of all: small 3.5k chars/s against
 * 9.5k with one thread; seed 0.73k against 0.95k with one intra-op thread over a 2-thread OpenBLAS.
 */
function bestTorchRun(args: string[]): Result | null {
  const settings = [
    { blas: '1', threads: '1' },
    { blas: String(os.cpus().length), threads: '1' },
  ];
  let best: Result | null = null;
  for (const s of settings) {
    const r = runJson('/usr/bin/python3', [...args, '--threads', s.threads], { ...process.env, OPENBLAS_NUM_THREADS: s.blas, OMP_NUM_THREADS: s.threads });
    if (r) r.backend += `, OpenBLAS ${s.blas} thread(s)`;
    if (r && (!best || r.trainCharsPerSec > best.trainCharsPerSec)) best = r;
  }
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

function main(): void {
  const text = value('--text', defaultText());
  const backend = value('--backend', 'auto');
  const torch = torchAvailable();
  const presetBench = bundleForNode('bench/presetBench.ts', 'presetBench');
  process.stderr.write(
    `text: ${text}\nrounds: ${rounds}, presets: ${presets.join(', ')}, PyTorch: ${torch ? 'yes' : 'not importable (apt-get install python3-torch)'}\n`,
  );
  const results: Result[] = [];
  for (let round = 0; round < rounds; round++) {
    presets.forEach((preset, k) => {
      const p = PRESETS[preset];
      const charm = () => runJson(process.execPath, [presetBench, '--preset', preset, '--steps', String(steps[preset]), '--text', text, '--backend', backend]);
      const pytorch = () =>
        bestTorchRun([
          'bench/torch_char_lstm.py',
          '--preset',
          preset,
          '--text',
          text,
          '--embedding',
          String(p.embedding),
          '--units',
          String(p.units),
          '--batch-size',
          String(p.batchSize),
          '--seq-length',
          String(p.seqLength),
          '--steps',
          String(steps[preset]),
        ]);
      // Alternate which goes first, so neither always runs on a cooler or warmer machine.
      const order = torch ? ((round + k) % 2 === 0 ? [charm, pytorch] : [pytorch, charm]) : [charm];
      for (const run of order) {
        const r = run();
        if (r) {
          results.push(r);
          process.stderr.write(`  round ${round + 1} ${preset} ${r.impl} (${r.backend}): ${r.trainCharsPerSec} chars/s, ${r.sampleMsPerChar} ms/char\n`);
        }
      }
    });
  }
  const rows: string[][] = [
    [
      'preset',
      'shape (E/U, batch x seq)',
      'Charm chars/s',
      'PyTorch chars/s',
      'ratio',
      'Charm ms/char',
      'PyTorch ms/char',
      'Charm prime 256 ms',
      'Charm training peak RSS MB',
      'PyTorch training peak RSS MB',
      'backend',
    ],
  ];
  for (const preset of presets) {
    const p = PRESETS[preset];
    const of = (impl: string) => results.filter((r) => r.preset === preset && r.impl === impl);
    const c = of('charm');
    const t = of('pytorch');
    const med = (rs: Result[], key: keyof Result) => median(rs.map((r) => r[key] as number));
    const fmt = (x: number, digits = 0) =>
      Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';
    rows.push([
      preset,
      `${p.embedding}/${p.units}, ${p.batchSize}x${p.seqLength}`,
      fmt(med(c, 'trainCharsPerSec')),
      fmt(med(t, 'trainCharsPerSec')),
      t.length ? fmt(med(c, 'trainCharsPerSec') / med(t, 'trainCharsPerSec'), 2) + 'x' : '-',
      fmt(med(c, 'sampleMsPerChar'), 3),
      fmt(med(t, 'sampleMsPerChar'), 3),
      fmt(med(c, 'primeMs'), 1),
      fmt(med(c, 'trainPeakRssMB')),
      fmt(med(t, 'trainPeakRssMB')),
      c[0]?.backend ?? '-',
    ]);
  }
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  for (const [i, r] of rows.entries()) {
    process.stdout.write('| ' + r.map((cell, k) => cell.padEnd(widths[k])).join(' | ') + ' |\n');
    if (i === 0) process.stdout.write('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n');
  }
  const out = value('--json', '');
  if (out) fs.writeFileSync(out, JSON.stringify(results, null, 1));
}

main();
