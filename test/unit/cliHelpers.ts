/** Running the bundled CLI from tests (build it first: `node esbuild.mjs`, as the CLI tests' before() does). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CHARM_BIN = path.join(ROOT, 'bin', 'charm.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function charm(args: string[], cwd = ROOT): Run {
  const r = spawnSync(process.execPath, [CHARM_BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: non-zero exit, one line on stderr naming the problem, no stack trace. */
export function assertCleanError(r: Run, pattern: RegExp): void {
  assert.notEqual(r.status, 0, `should fail: ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

export function buildCli(): void {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'esbuild.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
}
