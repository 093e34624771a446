/**
 * The native backend installer against fake npm scripts (no network): npm's real failure output
 * (captured on a machine where libtensorflow's download host is unreachable) becomes one clear
 * paragraph; a missing npm is a clear message; a failed or cancelled install leaves an earlier one
 * as it was and no staging folder behind; a successful one is swapped into place.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../../../src/errors';
import { installNativeBackend } from '../../../src/extension/native/installNative';
import { TFJS_VERSION } from '../../../src/util/nativePackage';
import { summarizeNpmFailure } from '../../../src/extension/native/npmErrorSummary';
import { tempDir, writeFiles } from '../helpers';

/** What npm 11 printed here for `npm install @tensorflow/tfjs-node@4.22.0` (install script offline). */
const NPM_OUTPUT = `npm error code 1
npm error path /home/user/.config/Code/User/globalStorage/charm-dev.charm/native.tmp-1234-abc/node_modules/@tensorflow/tfjs-node
npm error command failed
npm error command sh -c node scripts/install.js
npm error CPU-linux-4.22.0.tar.gz
npm error https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz
npm error * Downloading libtensorflow
npm error node:events:502
npm error       throw er; // Unhandled 'error' event
npm error       ^
npm error
npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com
npm error     at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)
npm error Emitted 'error' event on ClientRequest instance at:
npm error     at emitErrorEvent (node:_http_client:101:11)
npm error     at TLSSocket.socketErrorListener (node:_http_client:504:5)
npm error     at TLSSocket.emit (node:events:524:28)
npm error     at emitErrorNT (node:internal/streams/destroy:169:8)
npm error     at emitErrorCloseNT (node:internal/streams/destroy:128:3)
npm error     at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {
npm error   errno: -3008,
npm error   code: 'ENOTFOUND',
npm error   syscall: 'getaddrinfo',
npm error   hostname: 'storage.googleapis.com'
npm error }
npm error
npm error Node.js v20.20.2
npm error A complete log of this run can be found in: /root/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log
`;

/** A fake npm: a shell script with the given body, made executable. */
function fakeNpm(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** Alive and not a zombie (an orphan may wait for a reaper that never comes in a container). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function rejectsWith(p: Promise<unknown>, check: (message: string) => void): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CharmError, String(e));
    check(e.message);
    return true;
  });
}

describe('native backend installer', function () {
  this.timeout(30_000);
  let dir = '';
  let cleanup = () => undefined as void;
  beforeEach(() => ({ dir, cleanup } = tempDir('charm-install-')));
  afterEach(() => cleanup());

  it('summarises the real npm failure in one paragraph: the script, the error, the address', function () {
    const text = summarizeNpmFailure('npm install @tensorflow/tfjs-node@4.22.0', 1, NPM_OUTPUT);
    assert.equal(
      text,
      'npm install @tensorflow/tfjs-node@4.22.0 failed in its install script (node scripts/install.js), exit code 1: ' +
        'Error: getaddrinfo ENOTFOUND storage.googleapis.com ' +
        '(while fetching https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz)',
    );
  });

  it('summarises a registry failure (no install script) by its error lines', function () {
    const out =
      'npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/@tensorflow%2ftfjs-node-gpu - Not found\nnpm error 404\nnpm error A complete log of this run can be found in: /x.log\n';
    const text = summarizeNpmFailure('npm install x', 1, out);
    assert.match(text, /^npm install x failed, exit code 1, E404: 404 Not Found - GET https:\/\/registry\.npmjs\.org\/\S+ - Not found; 404$/);
    // npm before 10 wrote "npm ERR!"; the same summary.
    assert.equal(summarizeNpmFailure('npm install x', 1, out.replace(/npm error/g, 'npm ERR!')), text);
  });

  it('keeps a runaway output to one bounded paragraph', function () {
    const noise = Array.from({ length: 500 }, (_, k) => `npm error gyp ERR! stack Error: step ${k} failed ${'x'.repeat(80)}`).join('\n');
    const text = summarizeNpmFailure('npm install x', 1, noise);
    assert.ok(text.length <= 600, `${text.length} characters`);
    assert.ok(!text.includes('\n'));
    assert.match(text, /step 0 failed/);
  });

  it('a failing npm: one CharmError paragraph, the earlier install kept, no staging folder left', async function () {
    const folder = path.join(dir, 'storage', 'native');
    writeFiles(folder, { 'node_modules/@tensorflow/tfjs-node/package.json': '{"version":"4.22.0"}', 'marker.txt': 'earlier install' });
    fs.writeFileSync(path.join(dir, 'npm-output.txt'), NPM_OUTPUT);
    const npm = fakeNpm(dir, 'npm', `cat "${path.join(dir, 'npm-output.txt')}" >&2\nexit 1`);
    const lines: string[] = [];
    await rejectsWith(installNativeBackend({ folder, variant: 'cpu', npm, onOutput: (l) => lines.push(l) }), (m) => {
      assert.ok(!m.includes('\n'), 'one paragraph');
      assert.ok(m.length < 600, `${m.length} characters`);
      assert.match(m, /ENOTFOUND storage\.googleapis\.com/);
      assert.match(m, /The wasm backend keeps working\.$/);
      assert.doesNotMatch(m, /GetAddrInfoReqWrap|complete log/);
    });
    assert.equal(
      lines.length,
      NPM_OUTPUT.trim()
        .split('\n')
        .filter((l) => l.trim()).length,
      'every line reaches the output channel',
    );
    assert.equal(fs.readFileSync(path.join(folder, 'marker.txt'), 'utf8'), 'earlier install');
    assert.deepEqual(fs.readdirSync(path.dirname(folder)), ['native']);
  });

  it('a missing npm is a clear message', async function () {
    await rejectsWith(installNativeBackend({ folder: path.join(dir, 'native'), variant: 'cpu', npm: path.join(dir, 'no-such-npm') }), (m) =>
      assert.match(m, /^npm was not found \(looked for ".*no-such-npm" on the PATH\): install Node\.js/),
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('runs npm install with the pinned tfjs-node (or -gpu) in a staging folder and swaps it into place', async function () {
    const folder = path.join(dir, 'native');
    writeFiles(folder, { 'marker.txt': 'earlier install' });
    const npm = fakeNpm(
      dir,
      'npm',
      'echo "$@" > args.txt\nmkdir -p node_modules/@tensorflow/tfjs-node-gpu\necho \'{"version":"4.22.0"}\' > node_modules/@tensorflow/tfjs-node-gpu/package.json\necho "module.exports = {};" > node_modules/@tensorflow/tfjs-node-gpu/index.js\necho "added 1 package"',
    );
    const r = await installNativeBackend({ folder, variant: 'gpu', npm });
    assert.deepEqual(r, { folder, name: '@tensorflow/tfjs-node-gpu', version: '4.22.0' });
    assert.match(
      fs.readFileSync(path.join(folder, 'args.txt'), 'utf8'),
      new RegExp(`^install .*@tensorflow/tfjs-node-gpu@${TFJS_VERSION.replace(/\./g, '\\.')}$`, 'm'),
    );
    assert.ok(!fs.existsSync(path.join(folder, 'marker.txt')), 'the earlier install was replaced');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['native', 'npm']);
  });

  it('a package that installs but does not load replaces nothing, and says why', async function () {
    const folder = path.join(dir, 'native');
    writeFiles(folder, { 'marker.txt': 'earlier install' });
    const npm = fakeNpm(
      dir,
      'npm',
      'mkdir -p node_modules/@tensorflow/tfjs-node\necho \'{"version":"4.22.0"}\' > node_modules/@tensorflow/tfjs-node/package.json\n' +
        'echo "throw new Error(\'libtensorflow.so.2: cannot open shared object file: No such file or directory\');" > node_modules/@tensorflow/tfjs-node/index.js',
    );
    await rejectsWith(installNativeBackend({ folder, variant: 'cpu', npm }), (m) =>
      assert.equal(
        m,
        '@tensorflow/tfjs-node 4.22.0 installed but does not load (Error: libtensorflow.so.2: cannot open shared object file: No such file or directory); ' +
          'nothing was changed. The wasm backend keeps working.',
      ),
    );
    assert.equal(fs.readFileSync(path.join(folder, 'marker.txt'), 'utf8'), 'earlier install');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['native', 'npm']);
  });

  it('cancelling stops npm and its children and changes nothing', async function () {
    const folder = path.join(dir, 'native');
    const npm = fakeNpm(dir, 'npm', 'sleep 30 &\necho $! > "$PWD/../sleep.pid"\nwait');
    const abort = new AbortController();
    const done = installNativeBackend({ folder, variant: 'cpu', npm, signal: abort.signal, onOutput: () => undefined });
    const pidFile = path.join(dir, 'sleep.pid');
    while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, 'utf8').trim()) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await rejectsWith(done, (m) => assert.match(m, /cancelled; nothing was changed/));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!running(pid), 'the install script child is gone');
    assert.ok(!fs.existsSync(folder));
  });

  it('pins the tfjs version the engine bundles', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed package's version, read as data
    const bundled = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
    assert.equal(TFJS_VERSION, bundled);
  });
});
