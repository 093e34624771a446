/**
 * "Charm: Install Native Backend" without VS Code: runs the user's npm to install
 * @tensorflow/tfjs-node (or -gpu) into a folder of the extension's global storage, which the
 * trainer and inference processes then load tfjs-node from (env CHARM_NATIVE_MODULES, see
 * src/accel/nativeTfjs.ts). It installs into a fresh staging folder and swaps it into place only
 * when npm succeeded: a failed or cancelled install leaves an earlier one as it was.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../../errors';
import { nativePackageIn, nativePackageName, NativeVariant, TFJS_VERSION } from '../../util/nativePackage';
import { summarizeNpmFailure } from './npmErrorSummary';

/** Where the native backend lives in the extension's global storage. */
export function nativeFolder(globalStoragePath: string): string {
  return path.join(globalStoragePath, 'native');
}

export interface NativeInstallOptions {
  folder: string;
  variant: NativeVariant;
  /** The npm to run; default `npm` on the PATH (npm.cmd on Windows). */
  npm?: string;
  signal?: AbortSignal;
  /** The Node that checks the installed package loads; default this process's (Electron runs as Node with ELECTRON_RUN_AS_NODE). */
  node?: string;
  /** Each line npm prints (for the output channel and the progress message). */
  onOutput?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface NativeInstallResult {
  folder: string;
  name: string;
  version: string;
}

/** npm's output kept for the error message: its end is where the error is. */
const KEPT_OUTPUT = 64 * 1024;

export async function installNativeBackend(options: NativeInstallOptions): Promise<NativeInstallResult> {
  const spec = `${nativePackageName(options.variant)}@${TFJS_VERSION}`;
  const what = `npm install ${spec}`;
  const folder = path.resolve(options.folder);
  const staging = `${folder}.tmp-${process.pid}-${Date.now().toString(36)}`;
  fs.mkdirSync(staging, { recursive: true });
  // Its own package.json, so npm installs here instead of into a package above it.
  fs.writeFileSync(
    path.join(staging, 'package.json'),
    JSON.stringify({ name: 'charm-native-backend', private: true, description: `${spec} for Charm` }, null, 1),
  );
  try {
    await runNpm(options, ['install', '--no-audit', '--no-fund', '--omit=dev', spec], staging, what);
    const installed = nativePackageIn(staging);
    if (!installed) throw new CharmError(`${what} reported success, but ${nativePackageName(options.variant)} is not in ${staging}`);
    // A package that installs but does not load (no libtensorflow, a CUDA mismatch) must not replace a working one.
    const broken = await loadError(options, installed.dir);
    if (broken !== undefined)
      throw new CharmError(
        `${installed.name} ${installed.version} installed but does not load (${broken}); nothing was changed. The wasm backend keeps working.`,
      );
    swapIntoPlace(staging, folder);
    return { folder, name: installed.name, version: installed.version };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function runNpm(options: NativeInstallOptions, args: string[], cwd: string, what: string): Promise<void> {
  const windows = process.platform === 'win32';
  const npm = options.npm ?? (windows ? 'npm.cmd' : 'npm');
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new CharmError('The native backend install was cancelled'));
    // Its own process group, so cancelling stops npm's install scripts too. Windows runs .cmd files through a shell.
    const child = spawn(npm, args, { cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: !windows, shell: windows });
    let output = '';
    let partial = '';
    const take = (d: Buffer) => {
      const text = d.toString('utf8');
      output = (output + text).slice(-KEPT_OUTPUT);
      const lines = (partial + text).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) options.onOutput?.(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
      try {
        if (!windows && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        else child.kill();
      } catch {
        // already gone
      }
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', cancel);
      reject(
        new CharmError(
          e.code === 'ENOENT'
            ? `npm was not found (looked for "${npm}" on the PATH): install Node.js 20 or later with npm, then run "Charm: Install Native Backend" again. The wasm backend keeps working.`
            : `Could not run ${npm}: ${e.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', cancel);
      if (partial.trim()) options.onOutput?.(partial);
      if (cancelled) reject(new CharmError('The native backend install was cancelled; nothing was changed'));
      else if (code === 0) resolve();
      else reject(new CharmError(`${summarizeNpmFailure(what, code, output)}. The wasm backend keeps working.`));
    });
  });
}

/** How long loading the installed package may take in the check (native TensorFlow loads in a second or two). */
const LOAD_CHECK_MS = 120_000;

/** Requires the package in a separate Node; undefined when that worked, else the error's first line. */
function loadError(options: NativeInstallOptions, dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const env = { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1', TF_CPP_MIN_LOG_LEVEL: '2' };
    const child = spawn(options.node ?? process.execPath, ['-e', `require(${JSON.stringify(dir)})`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-KEPT_OUTPUT)));
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_CHECK_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(undefined);
      // Node prints the throwing source line first, then "Error: ..." (the line wanted), then the stack.
      const lines = stderr.split(/\r?\n/);
      const line = lines.find((l) => /^\w*Error: /.test(l)) ?? lines.find((l) => /cannot open|not found/i.test(l) && !/^\s+at /.test(l));
      resolve((line ?? (signal ? `stopped by ${signal}` : `exit code ${code}`)).trim().slice(0, 300));
    });
  });
}

/** Replaces `folder` by `staging`; an earlier folder is put back if the second rename fails. */
function swapIntoPlace(staging: string, folder: string): void {
  const old = `${folder}.old-${process.pid}`;
  const hadOld = fs.existsSync(folder);
  if (hadOld) fs.renameSync(folder, old);
  try {
    fs.renameSync(staging, folder);
  } catch (e) {
    if (hadOld) fs.renameSync(old, folder);
    throw new CharmError(`Could not move the installed backend into ${folder}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (hadOld) fs.rmSync(old, { recursive: true, force: true });
}
