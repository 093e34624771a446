/**
 * "Charm: Use Model…" end to end, in a real VS Code (code-server) driven by a real browser: a
 * team's model trained elsewhere (here by the CLI, into a folder outside the workspace) is chosen
 * through the command's quick pick and code-server's folder dialog; the status bar names it, ghost
 * text comes from it in a workspace that never trained, the choice survives a window reload, and
 * the same command goes back to the workspace's own model ("no model" here).
 *
 *   node esbuild.mjs            # the extension is loaded from this folder (dist/, node_modules)
 *   npx mocha --no-config --require tsx/cjs --timeout 600000 test/e2e/useModel.e2e.ts
 *
 * Written on the editor branch without running it (the machine was shared): the folder dialog
 * step follows openFile() in codeServer.ts.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodeServerSession, waitFor } from './codeServer';
import { ARTIFACTS, useCodeServer } from './session';

const ROOT = path.resolve(__dirname, '..', '..');
const LOG_FILE = path.join(ARTIFACTS, 'charm-use-model.log');
const TEXT = 'the quick brown fox jumps over the lazy dog.\n';

/** Trains the "team" model with the CLI: a tiny model on one repeated line learns it in a few hundred steps. */
function trainTeamModel(dir: string): string {
  const corpus = path.join(dir, 'team-corpus');
  fs.mkdirSync(corpus, { recursive: true });
  fs.writeFileSync(path.join(corpus, 'fox.txt'), TEXT.repeat(400));
  const out = path.join(dir, 'team-model');
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(build.status, 0, build.stderr);
  const r = spawnSync(
    process.execPath,
    ['dist/cli.js', 'train', corpus, '--out', out, '--preset', 'tiny', '--max-steps', '300', '--seed', '1', '--backend', 'wasm'],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, `charm train failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

/** Types a path into code-server's simple folder dialog (the quick input the command opened) and accepts it. */
async function chooseFolderInDialog(s: CodeServerSession, folder: string): Promise<void> {
  const widget = s.page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  // The dialog fills in a default folder asynchronously: wait for it before typing ours.
  await waitFor('the folder dialog', async () => (await input.inputValue()).startsWith('/'), 10_000, 100);
  await input.fill(folder);
  // The dialog may still replace the value with its own default after our fill (seen once in CI,
  // under load): wait until ours has stuck, filling it again if not.
  await waitFor(
    `${folder} in the folder dialog`,
    async () => {
      await new Promise((r) => setTimeout(r, 300));
      if ((await input.inputValue()).replace(/\/$/, '') === folder) return true;
      await input.fill(folder);
      return false;
    },
    15_000,
    100,
  );
  // Enter on a folder's path may first open the folder (its value then ends with "/"); Enter again,
  // or the dialog's OK button, accepts the folder shown.
  for (let attempt = 0; attempt < 4 && (await widget.isVisible()); attempt++) {
    if (!(await input.inputValue()).startsWith(folder)) await input.fill(folder);
    const ok = widget.locator('.monaco-button', { hasText: /^(OK|Use This Model)$/ });
    if (attempt > 0 && (await ok.count()) > 0) await ok.first().click();
    else await s.pressKey('Enter');
    await new Promise((r) => setTimeout(r, 700));
  }
  assert.ok(!(await widget.isVisible()), `the folder dialog did not accept ${folder}`);
}

/** Runs "Charm: Use Model…" and picks the row whose label starts with `label`. */
async function useModelPick(s: CodeServerSession, label: string): Promise<void> {
  await s.runCommand('Charm: Use Model…');
  const input = s.page.locator('.quick-input-widget input.input');
  await waitFor('the Use Model quick pick', async () => (await s.page.locator('.quick-input-widget .monaco-list-row').count()) >= 2, 30_000, 100);
  await input.fill(label);
  await new Promise((r) => setTimeout(r, 300));
  await s.pressKey('Enter');
}

describe('Charm extension: Use Model… (code-server + chromium)', function () {
  this.timeout(240_000);
  let tmp = '';
  let team = '';
  const s = useCodeServer('use-model', {
    startTimeoutMs: 900_000,
    start: () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-e2e-use-model-'));
      team = trainTeamModel(tmp);
      const workspace = path.join(tmp, 'workspace');
      fs.mkdirSync(workspace);
      fs.writeFileSync(path.join(workspace, 'notes.txt'), 'notes\n');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.rmSync(LOG_FILE, { force: true });
      return {
        workspace,
        extensionFolders: [ROOT],
        linkExtensionFolders: true,
        env: { CHARM_LOG_FILE: LOG_FILE },
        settings: {
          'charm.inlineCompletions.minConfidence': 0,
          'charm.inlineCompletions.debounceMs': 0,
        },
      };
    },
    cleanUp: () => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    },
  });

  it('starts with no model in a workspace that never trained', async () => {
    await s().waitForStatusBarText(/Charm: no model/, 120_000);
  });

  it('uses a checkpoint folder chosen with "Use Model…": the status bar names it', async function () {
    this.timeout(180_000);
    await useModelPick(s(), 'Choose a Checkpoint Folder');
    await chooseFolderInDialog(s(), team);
    await s().waitForStatusBarText(/Charm: ready · team-model/, 120_000);
    assert.match(fs.readFileSync(LOG_FILE, 'utf8'), /model in use: team-model/);
  });

  it('completes with it', async function () {
    this.timeout(120_000);
    await s().openFile('notes.txt');
    await s().pressKey('Control+End');
    await s().typeText('the quick brown ', 40);
    const ghost = await s().waitForGhostText(60_000);
    assert.ok(ghost.trim().length > 0);
    await s().pressKey('Escape');
  });

  it('keeps the choice after a window reload', async function () {
    this.timeout(180_000);
    await s().reloadWindow();
    await s().waitForStatusBarText(/Charm: ready · team-model/, 120_000);
  });

  it("goes back to the workspace's own model", async function () {
    this.timeout(120_000);
    await useModelPick(s(), "Use This Workspace's Own Model");
    await s().waitForStatusBarText(/Charm: no model/, 60_000);
  });
});
