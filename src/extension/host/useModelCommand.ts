/**
 * "Charm: Use Model…": completions and Generate use a model the user picks (a checkpoint folder,
 * e.g. a team's shared model or one a PyTorch run wrote, or a Keras / TensorFlow.js file imported
 * on the fly in a separate process) instead of the workspace's own, until reset. A choice that
 * does not load is undone: the previous model stays in use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CharmError } from '../../errors';
import type { ModelState } from '../ipc/inferenceClient';
import { checkpointChoice, classifyModelPath, importTarget, ModelChoice, PickedModel } from '../modelChoice';
import type { CharmServices } from './services';

interface Action extends vscode.QuickPickItem {
  action: 'folder' | 'file' | 'reset';
}

/**
 * `target` (a path or file URI, from executeCommand, e.g. a workspace task or a test) skips the
 * pickers; without it the user picks.
 */
export async function useModel(s: CharmServices, target?: unknown): Promise<void> {
  const given = typeof target === 'string' ? target : target instanceof vscode.Uri && target.scheme === 'file' ? target.fsPath : undefined;
  if (given !== undefined) return useModelAt(s, given);
  const chosen = s.chosenModel();
  const actions: Action[] = [
    {
      label: '$(folder-opened) Choose a Checkpoint Folder…',
      description: 'a Charm model: a folder holding best/ or latest/, or one of them',
      action: 'folder',
    },
    { label: '$(file) Import a Model File…', description: 'Keras .h5 or .keras, or a TensorFlow.js model.json', action: 'file' },
  ];
  if (chosen) actions.push({ label: "$(home) Use This Workspace's Own Model", description: `instead of ${chosen.label}`, action: 'reset' });
  const pick = await vscode.window.showQuickPick(actions, {
    title: 'Charm: Use Model',
    placeHolder: chosen ? `Completions use ${chosen.label}` : "Completions use this workspace's own model",
  });
  if (!pick) return;
  if (pick.action === 'reset' && chosen) {
    await s.chooseModel(undefined);
    await offerToDeleteImport(s, chosen);
    return;
  }
  const uris = await vscode.window.showOpenDialog(
    pick.action === 'folder'
      ? { canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model', title: 'Charm: choose a checkpoint folder' }
      : {
          canSelectFiles: true,
          canSelectFolders: false,
          openLabel: 'Import and Use',
          title: 'Charm: choose a Keras or TensorFlow.js model',
          filters: { Models: ['h5', 'hdf5', 'keras', 'json'], 'All files': ['*'] },
        },
  );
  const uri = uris?.[0];
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Charm: only models on this machine can be used.');
    return;
  }
  await useModelAt(s, uri.fsPath);
}

async function useModelAt(s: CharmServices, file: string): Promise<void> {
  try {
    const picked = classifyModelPath(file);
    const choice = picked.kind === 'checkpoint' ? checkpointChoice(picked.root) : await importFile(s, picked);
    if (!choice) return;
    await switchTo(s, choice);
  } catch (e) {
    if (!(e instanceof CharmError)) throw e;
    void vscode.window.showErrorMessage(`Charm: ${e.message}${stillInUse(s)}`);
  }
}

/** An imported copy lives in the extension's storage; the file it came from is still there, so it can go. */
async function offerToDeleteImport(s: CharmServices, previous: ModelChoice): Promise<void> {
  const message = "Charm: completions use this workspace's own model again.";
  if (!previous.imported || !isInside(previous.root, s.importsRoot())) {
    void vscode.window.showInformationMessage(message);
    return;
  }
  const answer = await vscode.window.showInformationMessage(`${message} Delete the imported copy of ${previous.label}?`, 'Delete Imported Copy');
  if (!answer) return;
  await fs.promises.rm(previous.root, { recursive: true, force: true });
  s.log.info(`deleted the imported copy ${previous.root}`);
}

function stillInUse(s: CharmServices): string {
  const chosen = s.chosenModel();
  return chosen ? ` Completions still use ${chosen.label}.` : '';
}

/** Imports a model file into the extension's storage; undefined when the user cancelled. */
async function importFile(s: CharmServices, picked: Extract<PickedModel, { kind: 'file' }>): Promise<ModelChoice | undefined> {
  const vocab = await vscode.window.showQuickPick(
    [
      { label: 'The Training Text…', description: 'rebuilds the vocabulary as the tutorials do: the sorted set of its characters', source: 'text' as const },
      { label: 'A Vocabulary File…', description: 'JSON: a char → index map or an index → char list', source: 'file' as const },
    ],
    { title: 'Charm: the model needs its vocabulary', placeHolder: 'Model files carry no vocabulary: where does it come from?', ignoreFocusOut: true },
  );
  if (!vocab) return undefined;
  const vocabUri = (
    await vscode.window.showOpenDialog({
      canSelectFiles: true,
      openLabel: vocab.source === 'text' ? 'Use This Text' : 'Use This Vocabulary',
      title: vocab.source === 'text' ? 'Charm: the text the model was trained on' : 'Charm: the vocabulary (JSON)',
      filters: vocab.source === 'file' ? { JSON: ['json'] } : undefined,
    })
  )?.[0];
  if (!vocabUri) return undefined;
  const out = importTarget(s.importsRoot(), picked.file);
  fs.mkdirSync(s.importsRoot(), { recursive: true });
  const request = { file: picked.file, out, vocabulary: { kind: vocab.source === 'text' ? ('from-text' as const) : ('file' as const), path: vocabUri.fsPath } };
  s.log.info(`importing ${picked.file} into ${out}`);
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Charm: importing ${path.basename(picked.file)}`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return s.importModel(request, abort.signal);
      },
    );
    s.log.info(`imported ${picked.file} (${summary.format}): ${summary.vocabularySize} symbols, ${summary.parameters} parameters`);
    return checkpointChoice(out, { file: picked.file, format: summary.format });
  } catch (e) {
    // Half an import is no model: remove it.
    fs.rmSync(out, { recursive: true, force: true });
    throw e;
  }
}

/** How long a chosen model may take to load before the switch counts as failed. */
const LOAD_TIMEOUT_MS = 120_000;

/** Uses `choice`; if the completion process cannot load it, goes back to the previous model. */
async function switchTo(s: CharmServices, choice: ModelChoice): Promise<void> {
  const previous = s.chosenModel();
  if (previous && path.resolve(previous.root) === path.resolve(choice.root)) {
    void vscode.window.showInformationMessage(`Charm: completions already use ${choice.label}.`);
    return;
  }
  const settled = nextSettledState(s);
  await s.chooseModel(choice);
  const state = await settled;
  const loadedHere = state.kind === 'ready' && state.info.neural && isInside(state.info.dir, choice.root);
  if (loadedHere) {
    void vscode.window.showInformationMessage(`Charm: completions now use ${choice.label}.`);
    return;
  }
  await s.chooseModel(previous);
  const why =
    state.kind === 'failed' || state.kind === 'none' ? state.message : state.kind === 'loading' ? 'it took too long to load' : 'see the Charm output channel';
  throw new CharmError(`Could not load ${choice.label}: ${why}.${previous ? '' : " Completions still use this workspace's own model."}`);
}

/** The completion process's next state other than loading (or 'loading' after the timeout). */
function nextSettledState(s: CharmServices): Promise<ModelState> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ kind: 'loading' }), LOAD_TIMEOUT_MS);
    const stop = s.inference.onState((state) => {
      if (state.kind !== 'loading' && state.kind !== 'stopped') finish(state);
    });
    function finish(state: ModelState): void {
      clearTimeout(timer);
      stop();
      resolve(state);
    }
  });
}

function isInside(dir: string, root: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(dir));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
