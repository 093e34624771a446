/**
 * Smoke test of the e2e harness (test/e2e/codeServer.ts) with a throwaway fixture extension
 * (test/e2e/fixtures/hello-ext): real code-server + real chromium.
 *   scripts/e2e-setup.sh   # once: installs/caches the tools
 *   npx mocha --no-config --require tsx/cjs --timeout 300000 test/e2e/smoke.e2e.ts
 * Fails (does not skip) when the tools are missing. Screenshots go to .e2e/artifacts/ (or
 * $CHARM_E2E_ARTIFACTS); on failure the run dir (logs, user data) is kept and printed.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { E2eToolsMissingError, findTools, waitFor } from './codeServer';
import { ARTIFACTS, useCodeServer } from './session';

const FIXTURE = path.join(__dirname, 'fixtures', 'hello-ext');
const EXT_ID = 'charm-e2e.hello-e2e';
const GHOST = 'WORLD_FROM_HELLO_E2E';
const INSERTED = 'Hi from Hello E2E!';
const LONG = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('e2e harness: tools', () => {
  it('says to run scripts/e2e-setup.sh when the tools are missing', () => {
    const saved = process.env.CHARM_E2E_CACHE;
    process.env.CHARM_E2E_CACHE = path.join(os.tmpdir(), 'charm-e2e-no-such-cache');
    try {
      assert.throws(
        () => findTools(),
        (e: unknown) => e instanceof E2eToolsMissingError && /scripts\/e2e-setup\.sh/.test(e.message),
      );
    } finally {
      if (saved === undefined) delete process.env.CHARM_E2E_CACHE;
      else process.env.CHARM_E2E_CACHE = saved;
    }
  });

  it('finds the tools (else run scripts/e2e-setup.sh)', () => {
    findTools(); // throws E2eToolsMissingError with that advice: the suite fails, never skips
  });
});

describe('e2e harness: smoke (code-server + chromium + fixture extension)', function () {
  this.timeout(120_000);
  let workspace = '';
  const s = useCodeServer('smoke', {
    startTimeoutMs: 180_000,
    start: () => {
      workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-e2e-ws-'));
      fs.writeFileSync(path.join(workspace, 'notes.txt'), 'first line\n');
      fs.mkdirSync(path.join(workspace, 'sub'));
      fs.writeFileSync(path.join(workspace, 'sub', 'other.txt'), 'other\n');
      fs.writeFileSync(path.join(workspace, 'long.txt'), LONG);
      fs.writeFileSync(path.join(workspace, '.gitignore'), 'ignored.txt\n');
      fs.writeFileSync(path.join(workspace, 'ignored.txt'), 'ignored\n');
      return { workspace, extensionFolders: [FIXTURE] };
    },
    cleanUp: () => {
      if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
    },
  });

  it('shows the extension status bar item', async () => {
    const text = await s().waitForStatusBarText(/HelloE2E ready/, 60_000);
    assert.equal(text, 'HelloE2E ready');
    assert.ok((await s().statusBarTexts()).includes('HelloE2E ready'));
  });

  it('locates the extension storage dirs', async () => {
    const ws = await waitForPath(() => s().workspaceStorageDir(EXT_ID), 'hello-workspace.txt');
    const gl = await waitForPath(() => s().globalStorageDir(EXT_ID), 'hello-global.txt');
    assert.equal(fs.readFileSync(path.join(ws, 'hello-workspace.txt'), 'utf8'), 'workspace');
    assert.equal(fs.readFileSync(path.join(gl, 'hello-global.txt'), 'utf8'), 'global');
    assert.equal(ws, path.join(s().userDataDir, 'User', 'workspaceStorage', s().workspaceStorageId(), EXT_ID));
    assert.equal(gl, path.join(s().userDataDir, 'User', 'globalStorage', EXT_ID));
  });

  it('opens a file, shows ghost text and accepts it with Tab', async () => {
    await s().openFile('notes.txt');
    assert.equal(await s().editorText(), 'first line\n');
    await s().pressKey('Control+End');
    await s().typeText('hello ');
    const ghost = await s().waitForGhostText(30_000);
    assert.equal(ghost.trim(), GHOST);
    assert.equal(await s().editorText(), 'first line\nhello ', 'editorText() must not include ghost text');
    // Shown by an automatic request (triggerKind 1), not an explicit one (see fixture's calls.log).
    const calls = fs.readFileSync(path.join(s().globalStorageDir(EXT_ID)!, 'calls.log'), 'utf8');
    assert.match(calls, /provide v\d+ 1:6 trigger=1 "hello "/);
    await s().pressKey('Tab');
    await waitFor('ghost text to disappear', async () => !(await s().hasGhostText()), 10_000, 200);
    assert.equal(await s().editorText(), `first line\nhello ${GHOST}`);
  });

  it('runs a command from the palette', async () => {
    await s().runCommand('Hello E2E: Say Hi');
    await waitFor('inserted text', async () => (await s().editorText()).endsWith(INSERTED), 10_000, 200);
    await s().waitForNotification(/Hello E2E says hi/, 10_000);
    assert.equal(await s().saveAndReadActiveFile(), `first line\nhello ${GHOST}${INSERTED}`);
  });

  it('opens a file in a sub folder', async () => {
    await s().openFile('sub/other.txt');
    assert.equal(await s().editorText(), 'other\n');
  });

  it('opens a file quick open does not list (git-ignored)', async () => {
    await s().openFile('ignored.txt', 40_000);
    assert.equal(await s().editorText(), 'ignored\n');
  });

  it('reads a long file from disk; editorText() refuses a partial view', async () => {
    await s().openFile('long.txt');
    await assert.rejects(() => s().editorText(), /does not fit/);
    assert.equal(await s().saveAndReadActiveFile(), LONG);
  });

  it('reloads the window and the extension comes back', async () => {
    await s().reloadWindow();
    await s().waitForStatusBarText(/HelloE2E ready/, 60_000);
    const shot = path.join(ARTIFACTS, 'smoke.png');
    await s().screenshot(shot);
    assert.ok(fs.statSync(shot).size > 10_000);
  });
});

describe('e2e harness: extension installed from a .vsix', function () {
  this.timeout(120_000);
  let tmp = '';
  const s = useCodeServer('smoke-vsix', {
    startTimeoutMs: 180_000,
    start: () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-e2e-vsix-'));
      const vsix = path.join(tmp, 'hello-e2e.vsix');
      const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
      const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
        cwd: FIXTURE,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      assert.equal(r.status, 0, `vsce package failed: ${r.stdout}${r.stderr}`);
      fs.mkdirSync(path.join(tmp, 'ws'));
      return { workspace: path.join(tmp, 'ws'), extensionVsix: vsix };
    },
    cleanUp: () => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    },
  });

  it('activates the installed extension', async () => {
    await s().waitForStatusBarText(/HelloE2E ready/, 60_000);
    assert.ok(fs.readdirSync(s().extensionsDir).includes('charm-e2e.hello-e2e-0.0.1'));
    await waitForPath(() => s().globalStorageDir(EXT_ID), 'hello-global.txt');
  });
});

async function waitForPath(dir: () => string | undefined, file: string): Promise<string> {
  return waitFor(
    `storage file ${file}`,
    () => {
      const found = dir();
      return found !== undefined && fs.existsSync(path.join(found, file)) && found;
    },
    20_000,
    200,
  );
}
