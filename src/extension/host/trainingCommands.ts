/** "Train on Workspace", "Train on Corpus…" and "Stop Training". */
import * as vscode from 'vscode';
import { adoptCheckpoint, ModelChoice } from '../modelChoice';
import { hasModel, writeMemorySpec } from '../modelStore';
import { trainingRequestFromSettings, TrainMode } from '../training/trainingRequest';
import { filesExcludeOf } from './config';
import type { CharmServices } from './services';

export async function trainOnWorkspace(s: CharmServices): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri);
  if (folders.length === 0) {
    const pick = await vscode.window.showWarningMessage(
      'Charm: open a folder to train on it, or pick files with "Charm: Train on Corpus…".',
      'Train on Corpus…',
    );
    if (pick) await trainOnCorpus(s);
    return;
  }
  const title = folders.length === 1 ? 'training on the workspace' : `training on ${folders.length} workspace folders`;
  await train(
    s,
    folders.map((f) => f.fsPath),
    title,
    folders,
  );
}

export async function trainOnCorpus(s: CharmServices): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: true,
    openLabel: 'Train on these',
    title: 'Charm: choose the files and folders to train on',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (!picked?.length) return;
  const files = picked.filter((u) => u.scheme === 'file');
  if (files.length === 0) {
    void vscode.window.showErrorMessage('Charm: only files on this machine can be trained on.');
    return;
  }
  await train(
    s,
    files.map((u) => u.fsPath),
    `training on ${files.length === 1 ? files[0].fsPath : `${files.length} selections`}`,
    files,
  );
}

export async function stopTraining(s: CharmServices): Promise<void> {
  if (!s.training.running) {
    void vscode.window.showInformationMessage('Charm: no training is running.');
    return;
  }
  await s.training.stop();
}

async function train(s: CharmServices, paths: string[], title: string, scopes: vscode.Uri[]): Promise<void> {
  if (s.training.running) {
    const pick = await vscode.window.showInformationMessage('Charm: a training is already running.', 'Stop Training');
    if (pick) await s.training.stop();
    return;
  }
  if (!vscode.workspace.isTrusted) {
    const ok = await vscode.window.showWarningMessage(
      'This workspace is not trusted. Training reads the text of its files into a model stored on this machine, and that model then suggests text. Train anyway?',
      { modal: true },
      'Train Anyway',
    );
    if (ok !== 'Train Anyway') return;
  }
  const root = s.modelRoot();
  const chosen = s.chosenModel();
  const mode = chosen ? await askWithChosen(s, chosen, root) : hasModel(root) ? await askContinue(s) : 'new';
  if (!mode) return;
  // Training holds the model folder's lock: a background adaptation stops first (it writes nothing then).
  await s.adaptation.cancel();
  if (chosen) {
    if (mode === 'fine-tune-chosen') {
      s.log.info(`copying ${chosen.root} into ${root} to fine-tune it`);
      await adoptCheckpoint(chosen.root, root);
    }
    // Completions follow the workspace's own model from now on: the fine-tuned copy, or the one trained now.
    await s.chooseModel(undefined);
  }
  const request = trainingRequestFromSettings({
    paths,
    out: root,
    mode: mode === 'fine-tune-chosen' ? 'continue' : mode,
    settings: s.settings(),
    filesExclude: filesExcludeOf(scopes),
  });
  // Completions from the workspace memory start now, long before the first checkpoint.
  try {
    writeMemorySpec(root, { paths: request.paths, corpus: request.corpus });
    s.loadModel();
  } catch (e) {
    s.log.error(`could not record the workspace memory's files: ${e instanceof Error ? e.message : String(e)}`);
  }
  void s.training.start(request, title);
}

async function askContinue(s: CharmServices): Promise<TrainMode | undefined> {
  const preset = s.settings().preset;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Continue training the current model', description: 'fine-tunes it on these files; keeps its size and vocabulary', mode: 'continue' as const },
      { label: 'Start fresh', description: `replaces it with a new "${preset}" model`, mode: 'replace' as const },
    ],
    { title: 'Charm: a model already exists', placeHolder: 'Continue training it, or start a new one?', ignoreFocusOut: true },
  );
  return pick?.mode;
}

/**
 * A model chosen with "Use Model…" is in use: fine-tune a copy of it in the workspace's own
 * storage (the picked folder, perhaps a shared one, is never written), continue the workspace's
 * own model, or start a new one.
 */
async function askWithChosen(s: CharmServices, chosen: ModelChoice, root: string): Promise<TrainMode | 'fine-tune-chosen' | undefined> {
  const own = hasModel(root);
  const preset = s.settings().preset;
  const items: (vscode.QuickPickItem & { mode: TrainMode | 'fine-tune-chosen' })[] = [
    {
      label: `Fine-tune ${chosen.label}`,
      description: `trains a copy of it on these files in this workspace's storage${own ? ", replacing this workspace's own model" : ''}; ${chosen.label} itself is not changed`,
      mode: 'fine-tune-chosen',
    },
  ];
  if (own) items.push({ label: "Continue Training This Workspace's Own Model", description: 'completions then use it again', mode: 'continue' });
  items.push({
    label: 'Start a New Model',
    description: `a new "${preset}" model for this workspace${own ? ', replacing its own' : ''}; completions then use it`,
    mode: own ? 'replace' : 'new',
  });
  const pick = await vscode.window.showQuickPick(items, {
    title: `Charm: completions use ${chosen.label}`,
    placeHolder: "Fine-tune it, or train this workspace's own model?",
    ignoreFocusOut: true,
  });
  return pick?.mode;
}
