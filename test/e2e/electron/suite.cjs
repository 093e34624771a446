// Runs inside VS Code desktop, started by ../../../.vscode-test.mjs (@vscode/test-electron):
// the extension's main scenario through the VS Code API and the small API the extension exports
// (status(), modelRoot()). Plain CommonJS: VS Code loads it with require().
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function run() {
  const ext = vscode.extensions.getExtension('charm-dev.charm');
  assert.ok(ext, 'the extension is installed');
  const api = await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  for (const id of ['trainOnWorkspace', 'trainOnCorpus', 'stopTraining', 'generateFromSelection', 'toggleInlineCompletions', 'showModel', 'deleteModel']) {
    assert.ok(commands.includes(`charm.${id}`), `charm.${id} is registered`);
  }
  assert.equal(api.status(), 'no model');

  await vscode.commands.executeCommand('charm.trainOnWorkspace');
  await waitFor('training to start', () => api.status() === 'training', 60_000);
  await waitFor('the model to be ready', () => api.status() === 'ready', 5 * 60_000);
  for (const kind of ['best', 'latest']) {
    for (const f of ['config.json', 'vocab.json', 'weights.json', 'weights.bin']) {
      assert.ok(fs.existsSync(path.join(api.modelRoot(), kind, f)), `${kind}/${f}`);
    }
  }

  const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'scratch.ts')));
  const editor = await vscode.window.showTextDocument(doc);
  const end = doc.positionAt(doc.getText().length);
  editor.selection = new vscode.Selection(end, end);
  const before = doc.getText();
  await vscode.commands.executeCommand('charm.generateFromSelection');
  assert.ok(doc.getText().length > before.length, 'text was generated');
  assert.ok(doc.getText().startsWith(before));
  await vscode.commands.executeCommand('undo');
  assert.equal(doc.getText(), before, 'one undo removes the whole generation');
}

module.exports = { run };
