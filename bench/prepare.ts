/**
 * `npm run bench:prepare [-- --mb 200] [--include-secrets] [--compare] [--heap MB]`: `charm prepare` on a
 * synthetic corpus (code-like text with some non-ASCII, in files of about 500 KB) built in a temp
 * folder. Prints MB/s and the peak resident memory (VmHWM) of the process that prepared it, which
 * must stay far below the corpus's size. With --compare, also the peak of buildCorpus (what
 * `charm train` holds: the whole text as one string) on the same folder, in a process of its own.
 * --heap caps prepare's V8 heap (--max-old-space-size): that it still finishes shows what it needs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCorpus } from '../src/training/corpus';
import { prepareCorpus } from '../src/training/prepare';
import { SeededRandom } from '../src/util/random';

const FILE_BYTES = 500 * 1024;
const WORDS = ['const', 'let', 'return', 'function', 'value', 'index', 'buffer', 'await', 'export', 'import', 'if', 'else', 'for', 'while', 'result'];
const EXTRA = ['é', 'ü', '—', '“', '”', '中', '文', '🙂', 'λ'];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One file of code-like lines, about FILE_BYTES long, different for every `index`. */
function fileText(index: number): string {
  const rng = new SeededRandom(index + 1);
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < FILE_BYTES) {
    const words: string[] = [];
    for (let w = 1 + rng.int(8); w > 0; w--) words.push(WORDS[rng.int(WORDS.length)] + (rng.int(4) === 0 ? String(rng.int(1000)) : ''));
    if (rng.int(10) === 0) words.push(EXTRA[rng.int(EXTRA.length)]);
    const line = `${'  '.repeat(rng.int(4))}${words.join(' ')};`;
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return lines.join('\n') + '\n';
}

function makeCorpus(mb: number): { dir: string; bytes: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-prepare-bench-'));
  const corpus = path.join(dir, 'corpus');
  let bytes = 0;
  for (let i = 0; bytes < mb * 1024 * 1024; i++) {
    const sub = path.join(corpus, `d${i % 20}`);
    fs.mkdirSync(sub, { recursive: true });
    const text = fileText(i);
    fs.writeFileSync(path.join(sub, `f${i}.ts`), text);
    bytes += Buffer.byteLength(text);
  }
  return { dir, bytes };
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / (1024 * 1024);
}

/** The measured part, run in a child so its peak memory is its own. */
async function child(mode: string, corpus: string, out: string, includeSecrets: boolean): Promise<void> {
  const startRssMb = process.memoryUsage().rss / (1024 * 1024);
  const started = performance.now();
  if (mode === 'prepare') await prepareCorpus({ paths: [corpus], out, corpus: { includeSecrets } });
  else await buildCorpus([corpus], { includeSecrets, maxTotalChars: Infinity });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ seconds, startRssMb, peakRssMb: peakRssMb(), heapUsedMb: process.memoryUsage().heapUsed / (1024 * 1024) }) + '\n');
}

interface Measured {
  seconds: number;
  /** Before the measured part: Node, tsx and the modules loaded. */
  startRssMb: number;
  peakRssMb: number;
}

function run(mode: string, corpus: string, out: string, includeSecrets: boolean): Measured {
  const args = ['--require', require.resolve('tsx/cjs'), __filename, '--child', mode, corpus, out, includeSecrets ? '1' : '0'];
  // Only buildCorpus needs a large heap; prepare runs with Node's default, so its peak is what a user sees.
  const cap = flag('heap');
  const heap = mode === 'prepare' ? (cap ? [`--max-old-space-size=${cap}`] : []) : ['--max-old-space-size=8192'];
  const r = spawnSync(process.execPath, [...heap, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Measured;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at >= 0) {
    const [mode, corpus, out, secrets] = process.argv.slice(at + 1);
    await child(mode, corpus, out, secrets === '1');
    return;
  }
  const mb = Number(flag('mb') ?? 200);
  const includeSecrets = process.argv.includes('--include-secrets');
  const { dir, bytes } = makeCorpus(mb);
  try {
    const corpusMb = bytes / (1024 * 1024);
    console.log(
      `corpus: ${corpusMb.toFixed(0)} MB in ${Math.ceil(bytes / FILE_BYTES)} files; secrets ${includeSecrets ? 'kept' : 'scanned'}${flag('heap') ? `; prepare's heap capped at ${flag('heap')} MB` : ''}`,
    );
    const p = run('prepare', path.join(dir, 'corpus'), path.join(dir, 'out'), includeSecrets);
    const ids = fs.statSync(path.join(dir, 'out', 'train.bin')).size + fs.statSync(path.join(dir, 'out', 'val.bin')).size;
    console.log(
      `charm prepare: ${p.seconds.toFixed(1)} s, ${(corpusMb / p.seconds).toFixed(1)} MB/s, peak RSS ${p.peakRssMb.toFixed(0)} MB (${p.startRssMb.toFixed(0)} MB at start); ids ${(ids / (1024 * 1024)).toFixed(0)} MB`,
    );
    if (process.argv.includes('--compare')) {
      const b = run('build', path.join(dir, 'corpus'), '', includeSecrets);
      console.log(
        `buildCorpus (charm train's reader, no total limit): ${b.seconds.toFixed(1)} s, peak RSS ${b.peakRssMb.toFixed(0)} MB (${b.startRssMb.toFixed(0)} MB at start)`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
