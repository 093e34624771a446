/**
 * `npx tsx bench/secretScan.ts [folder...]`: what scanning file content for secrets costs at every
 * training start, and what the completion filter costs per keystroke. Builds the corpus of each
 * folder with and without the scan (default: this repository's src/, and a ~1.5 MB folder made of
 * this repository's sources copied over 300 files with a few planted secrets), then times
 * suggestionLooksSecret on suggestions of real code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suggestionLooksSecret } from '../src/extension/completion/secretFilter';
import { buildCorpus } from '../src/training/corpus';

const ROOT = path.join(__dirname, '..');

function sourcesOf(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourcesOf(p));
    else if (/\.(ts|md|json|wat)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** ~1.5 MB over 300 files: the repository's text, cut and repeated, plus a few planted secrets. */
function makeBigFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-secret-bench-'));
  const text = sourcesOf(path.join(ROOT, 'src'))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
  const perFile = 5000;
  for (let i = 0; i < 300; i++) {
    const start = (i * 7919) % Math.max(1, text.length - perFile);
    let body = text.slice(start, start + perFile);
    if (i % 50 === 0) body += `\npassword = hunter2-very-secret-${i}\nAPI_KEY=${['sk', 'live', `4f9a8b7c6d5e4f3a2b1c0d9e8f7a${i}`].join('-')}\n`;
    fs.mkdirSync(path.join(dir, `d${i % 10}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `d${i % 10}`, `f${i}.ts`), body);
  }
  return dir;
}

async function timeCorpus(dir: string): Promise<void> {
  // Warm up the file cache and the scanner's one-time load.
  await buildCorpus([dir]);
  const t0 = performance.now();
  const plain = await buildCorpus([dir], { includeSecrets: true });
  const t1 = performance.now();
  const scanned = await buildCorpus([dir]);
  const t2 = performance.now();
  const secrets = scanned.redacted.reduce((n, r) => n + r.count, 0);
  console.log(
    `${dir}: ${plain.files.length} files, ${(plain.text.length / 1e6).toFixed(2)} M chars; ` +
      `corpus without scan ${(t1 - t0).toFixed(0)} ms, with scan ${(t2 - t1).toFixed(0)} ms ` +
      `(scan ${(t2 - t1 - (t1 - t0)).toFixed(0)} ms); ${secrets} secrets in ${scanned.redacted.length} files`,
  );
}

function timeFilter(): void {
  const lines = sourcesOf(path.join(ROOT, 'src'))
    .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'))
    .filter((l) => l.length > 10);
  const cases = lines.map((l) => {
    const cut = Math.floor(l.length / 2);
    return [l.slice(0, cut), l.slice(cut, cut + 40)] as const;
  });
  let flagged = 0;
  for (const [p, s] of cases) if (suggestionLooksSecret(p, s)) flagged++;
  const rounds = 5;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const [p, s] of cases) suggestionLooksSecret(p, s);
  const us = ((performance.now() - t0) * 1000) / (rounds * cases.length);
  console.log(`suggestionLooksSecret: ${us.toFixed(1)} µs per call over ${cases.length} lines of src/ (40-char suggestions); ${flagged} flagged`);
}

async function main(): Promise<void> {
  const given = process.argv.slice(2);
  const big = given.length ? undefined : makeBigFolder();
  try {
    for (const dir of given.length ? given : [path.join(ROOT, 'src'), big as string]) await timeCorpus(dir);
    timeFilter();
  } finally {
    if (big) fs.rmSync(big, { recursive: true, force: true });
  }
}

void main();
