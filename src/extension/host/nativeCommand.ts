/**
 * "Charm: Install Native Backend": installs tfjs-node (or -gpu) with the user's npm into the
 * extension's global storage (src/extension/native/installNative.ts does the work), then restarts
 * the completion process so it can load it; the next training run loads it by itself. A failure
 * is one message (npm's full output is in the Charm output channel) and wasm keeps working.
 */
import * as vscode from 'vscode';
import { CharmError } from '../../errors';
import { installNativeBackend } from '../native/installNative';
import type { CharmServices } from './services';

/** One install at a time: two would race to swap their folders into place. */
let installing = false;

export async function installNativeBackendCommand(s: CharmServices): Promise<void> {
  if (installing) {
    void vscode.window.showInformationMessage('Charm: the native backend is being installed (see its notification).');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'CPU', description: '@tensorflow/tfjs-node: native TensorFlow on the processor', variant: 'cpu' as const },
      { label: 'GPU (CUDA)', description: '@tensorflow/tfjs-node-gpu: needs an NVIDIA GPU with CUDA and cuDNN (Linux, Windows)', variant: 'gpu' as const },
    ],
    { title: 'Charm: Install Native Backend', placeHolder: `Installs with your npm into ${s.nativeFolder()} (downloads TensorFlow, about 100 MB or more)` },
  );
  if (!pick) return;
  s.log.info(`installing the native backend (${pick.variant}) into ${s.nativeFolder()}`);
  installing = true;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Charm: installing the native backend', cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        progress.report({ message: 'running npm install…' });
        return installNativeBackend({
          folder: s.nativeFolder(),
          variant: pick.variant,
          signal: abort.signal,
          onOutput: (line) => {
            s.log.info(`[npm] ${line}`);
            progress.report({ message: line.length > 80 ? `${line.slice(0, 79)}…` : line });
          },
        });
      },
    );
    s.log.info(`installed ${result.name} ${result.version} into ${result.folder}`);
    s.inference.restart();
    const backend = s.settings().backend;
    const use =
      backend === 'wasm' || backend === 'cpu'
        ? `The "charm.backend" setting is "${backend}": set it to "auto" or "tensorflow" to use it.`
        : 'Training runs use it from the next one on; completions use it when "charm.backend" is "tensorflow".';
    void vscode.window.showInformationMessage(`Charm: installed ${result.name} ${result.version}. ${use}`);
  } catch (e) {
    if (!(e instanceof CharmError)) throw e;
    s.log.error(`native backend: ${e.message}`);
    void vscode.window.showErrorMessage(`Charm: ${e.message}`, 'Show Log').then((answer) => {
      if (answer) s.log.show();
    });
  } finally {
    installing = false;
  }
}
