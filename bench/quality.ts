/**
 * Quality in a time budget (issue #3): the best validation loss that `charm train` reaches on a
 * corpus (default ../shared/data/tinyshakespeare.txt, last 10 % held out) within a wall-clock
 * budget that includes process start, corpus reading and the final evaluation.
 *
 *   npm run bench:quality [-- --budget 141 --text FILE --preset small --extra "--learning-rate 3e-3"]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const argv = process.argv.slice(2);
const value = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : fallback;
};
const root = path.resolve(__dirname, '..');
const budget = Number(value('--budget', '141'));
const text = value('--text', path.resolve(root, '../shared/data/tinyshakespeare.txt'));
// `charm train --max-seconds` counts from its own process start and leaves room for the final
// evaluation; only spawning Node and exiting come on top.
const reserve = Number(value('--reserve', '1'));
const extra = value('--extra', '').split(' ').filter(Boolean);

async function main(): Promise<void> {
  if (!fs.existsSync(text)) throw new Error(`No corpus at ${text}: pass --text FILE`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-quality-'));
  const args = [
    path.join(root, 'bin', 'charm.js'),
    'train',
    text,
    '--out',
    out,
    '--overwrite',
    '--max-seconds',
    String(budget - reserve),
    '--json',
    ...(value('--preset', '') ? ['--preset', value('--preset', '')] : []),
    ...extra,
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root });
  let buffer = '';
  let best = Infinity;
  let chars = 0;
  const rates: number[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const e = JSON.parse(line) as Record<string, number | string | null>;
      const t = ((performance.now() - started) / 1000).toFixed(1);
      if (e.event === 'start') process.stderr.write(`${t}s start: ${JSON.stringify(e.model)} on ${e.backend} (${e.backendDetail})\n`);
      if (e.event === 'step') rates.push(e.charsPerSec as number);
      if (e.event === 'eval') {
        best = Math.min(best, (e.valLoss as number) ?? Infinity);
        process.stderr.write(`${t}s step ${e.step}: val ${e.valLoss}\n`);
      }
      if (e.event === 'done') chars = Number(e.steps);
    }
  });
  child.stderr.pipe(process.stderr);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wall = (performance.now() - started) / 1000;
  rates.sort((a, b) => a - b);
  const result = {
    bestValLoss: Number(best.toFixed(4)),
    wallSeconds: Number(wall.toFixed(1)),
    withinBudget: wall <= budget,
    steps: chars,
    medianCharsPerSec: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
    exitCode: code,
    args: args.slice(2).join(' '),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  fs.rmSync(out, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
