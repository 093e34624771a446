import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix = 'charm-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A small, very predictable text: a model should learn it in a few dozen steps. */
export function repetitiveText(chars: number): string {
  const unit = 'the cat sat on the mat. ';
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

const ROOT = path.join(__dirname, '..', '..');

/** Runs a snippet of TypeScript in a fresh Node (from the repository's root); 30 s at most. */
export function runChild(code: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}
