/**
 * The start/stop scaffolding every e2e suite shares, as mocha hooks: one code-server session per
 * suite, started after the suite's own preparation; a screenshot of each failed test; at the end
 * the session stopped (its run dir kept and printed if a test failed), no process left behind,
 * and the suite's own clean-up. Call it at the top of a describe() callback:
 *
 *   const s = useCodeServer('smoke', { startTimeoutMs: 180_000, start: () => ({ workspace }) });
 *   it('...', async () => { await s().waitForStatusBarText(/ready/, 60_000); });
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CodeServerSession, findTools, startCodeServer, StartOptions } from './codeServer';

/** Screenshots of failed tests (and those a suite takes itself). */
export const ARTIFACTS = process.env.CHARM_E2E_ARTIFACTS ?? path.resolve(__dirname, '..', '..', '.e2e', 'artifacts');

export interface SuiteSession {
  /** How long preparing and starting may take (mocha's before hook timeout). */
  startTimeoutMs: number;
  /** Prepares what the session needs (workspace, .vsix, ...) and returns how to start it. */
  start: () => StartOptions | Promise<StartOptions>;
  /** Removes what start() made; runs after the session stopped, even if start() failed. */
  cleanUp?: () => void;
}

/** Registers the hooks; the returned function gives the running session inside tests. */
export function useCodeServer(name: string, options: SuiteSession): () => CodeServerSession {
  let session: CodeServerSession | undefined;
  let failed = false;
  const t0 = Date.now();

  before(async function () {
    this.timeout(options.startTimeoutMs);
    findTools(); // throws with the advice to run scripts/e2e-setup.sh: the suite fails, never skips
    session = await startCodeServer(await options.start());
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && session) {
      failed = true;
      const file = `${name}-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}.png`;
      await session.screenshot(path.join(ARTIFACTS, file)).catch(() => undefined);
    }
  });

  after(async function () {
    this.timeout(60_000);
    try {
      if (session) {
        await session.stop({ keepRunDir: failed || undefined });
        if (failed) console.log(`    run dir kept: ${session.runDir}`);
        assert.deepEqual(session.leftoverPids(), [], 'processes left behind after stop()');
      }
    } finally {
      options.cleanUp?.();
      console.log(`    (${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  });

  return () => {
    if (!session) throw new Error(`the ${name} code-server session did not start`);
    return session;
  };
}
