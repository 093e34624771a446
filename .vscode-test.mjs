// The extension's test in a real VS Code *desktop*, downloaded by @vscode/test-electron. For
// machines that can reach update.code.visualstudio.com (a developer's desktop): the CI machines
// of this project cannot download VS Code, so `npm test` runs the same scenario in code-server
// instead (test/e2e/extension.e2e.ts). Run it with:
//
//   npm run build && node .vscode-test.mjs            (VS Code stable; CHARM_VSCODE_VERSION=1.90.0 for another)
//
// It copies test/e2e/fixtures/workspace plus this repo's src/ to a temporary workspace with fast
// training settings, starts VS Code on it with only this extension, and runs
// test/e2e/electron/suite.cjs inside it (activation, training, generation, storage, reload-free
// model loading). Linux without a display needs xvfb-run.
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

function copy(from, to, keep) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) copy(src, path.join(to, e.name), keep);
    else if (keep(e.name)) fs.copyFileSync(src, path.join(to, e.name));
  }
}

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-electron-ws-'));
copy(path.join(root, 'test', 'e2e', 'fixtures', 'workspace'), workspace, () => true);
copy(path.join(root, 'src'), path.join(workspace, 'code', 'src'), (n) => n.endsWith('.ts'));
fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
fs.writeFileSync(
  path.join(workspace, '.vscode', 'settings.json'),
  JSON.stringify(
    {
      'charm.training.maxMinutes': 0.5,
      'charm.model.preset': 'tiny',
      'charm.inlineCompletions.minConfidence': 0,
    },
    null,
    2,
  ),
);

try {
  await runTests({
    version: process.env.CHARM_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'test', 'e2e', 'electron', 'suite.cjs'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
} catch (e) {
  console.error(`VS Code tests failed: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
