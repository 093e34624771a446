/** "Toggle Inline Completions", "Show Model", "Delete Model" and the status bar's menu. */
import * as vscode from 'vscode';
import { formatBytes } from '../../util/format';
import { deleteModel, readModelSummary } from '../modelStore';
import { updateSetting } from './config';
import type { CharmServices } from './services';

export async function toggleInlineCompletions(s: CharmServices): Promise<void> {
  const on = !s.settings().inline.enabled;
  await updateSetting('inlineCompletions.enabled', on);
  void vscode.window.setStatusBarMessage(`Charm: inline completions ${on ? 'on' : 'off'}`, 3000);
}

export function showModel(s: CharmServices): void {
  s.modelView.show();
}

export async function deleteModelCommand(s: CharmServices): Promise<void> {
  const root = s.modelRoot();
  const summary = readModelSummary(root);
  if (!summary) {
    void vscode.window.showInformationMessage('Charm: there is no model to delete.');
    return;
  }
  const answer = await vscode.window.showWarningMessage(
    `Delete Charm's model for this ${vscode.workspace.workspaceFolders?.length ? 'workspace' : 'window'} (step ${summary.meta.progress.step}, ${formatBytes(summary.totalBytes)})? This cannot be undone.`,
    { modal: true },
    'Delete',
  );
  if (answer !== 'Delete') return;
  if (s.training.running) await s.training.stop();
  await s.adaptation.cancel();
  s.inference.unload();
  try {
    await deleteModel(root);
  } catch (e) {
    void vscode.window.showErrorMessage(`Charm: could not delete ${root}: ${e instanceof Error ? e.message : String(e)}`);
  }
  s.loadModel();
  s.refresh();
  void vscode.window.showInformationMessage('Charm: model deleted.');
}

interface Action extends vscode.QuickPickItem {
  command: string;
}

export async function statusMenu(s: CharmServices): Promise<void> {
  const ready = s.inference.state.kind === 'ready';
  const enabled = s.settings().inline.enabled;
  const actions: Action[] = [];
  if (s.training.running) actions.push({ label: '$(debug-stop) Stop Training', description: 'saves a checkpoint first', command: 'charm.stopTraining' });
  else actions.push({ label: '$(play) Train on Workspace', description: ready ? 'continue or start fresh' : undefined, command: 'charm.trainOnWorkspace' });
  if (!s.training.running) actions.push({ label: '$(files) Train on Corpus…', command: 'charm.trainOnCorpus' });
  actions.push({
    label: `$(${enabled ? 'circle-slash' : 'check'}) ${enabled ? 'Turn Inline Completions Off' : 'Turn Inline Completions On'}`,
    command: 'charm.toggleInlineCompletions',
  });
  if (ready) actions.push({ label: '$(wand) Generate from Selection', command: 'charm.generateFromSelection' });
  actions.push({ label: '$(graph-line) Show Model', command: 'charm.showModel' });
  const chosen = s.chosenModel();
  actions.push({
    label: '$(library) Use Model…',
    description: chosen ? `now: ${chosen.label}` : 'a shared checkpoint, or a Keras / TensorFlow.js file',
    command: 'charm.useModel',
  });
  if (readModelSummary(s.modelRoot())) actions.push({ label: '$(trash) Delete Model', command: 'charm.deleteModel' });
  actions.push({
    label: '$(server-process) Install Native Backend',
    description: '@tensorflow/tfjs-node with your npm',
    command: 'charm.installNativeBackend',
  });
  actions.push({ label: '$(gear) Settings', command: 'workbench.action.openSettings' });
  const pick = await vscode.window.showQuickPick(actions, { title: 'Charm' });
  if (!pick) return;
  if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, '@ext:charm-dev.charm');
  else await vscode.commands.executeCommand(pick.command);
}
