/**
 * "Generate from Selection": continues the selection (or the text before the cursor) by
 * charm.generate.length characters at charm.temperature, inserted after it as one undoable edit.
 */
import * as vscode from 'vscode';
import type { CharmServices } from './services';

/** Characters of context given to the model; it was trained on far shorter sequences. */
const MAX_PROMPT = 4000;

export async function generateFromSelection(s: CharmServices): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Charm: open a file and select the text to continue.');
    return;
  }
  if (s.inference.state.kind !== 'ready') {
    const pick = await vscode.window.showWarningMessage('Charm: there is no model yet.', 'Train on Workspace');
    if (pick) await vscode.commands.executeCommand('charm.trainOnWorkspace');
    return;
  }
  const doc = editor.document;
  const selection = editor.selection;
  const at = selection.isEmpty ? selection.active : selection.end;
  const prompt = selection.isEmpty
    ? doc.getText(new vscode.Range(doc.positionAt(Math.max(0, doc.offsetAt(at) - MAX_PROMPT)), at))
    : doc.getText(selection).slice(-MAX_PROMPT);
  const { generateLength, temperature } = s.settings();

  const text = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Charm: generating', cancellable: true },
    async (progress, token) => {
      let shown = 0;
      return s.inference.generate(prompt, generateLength, temperature, token, (chars, total) => {
        const pct = Math.floor((chars / total) * 100);
        progress.report({ message: `${chars} of ${total} characters`, increment: pct - shown });
        shown = pct;
      });
    },
  );
  if (text === undefined || text === '') return;
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const insert = eol === '\n' ? text : text.replace(/\n/g, eol);
  const ok = await editor.edit((b) => b.insert(at, insert), { undoStopBefore: true, undoStopAfter: true });
  if (!ok) {
    void vscode.window.showErrorMessage('Charm: the editor refused the edit (the file may be read-only).');
    return;
  }
  const end = doc.positionAt(doc.offsetAt(at) + insert.length);
  editor.selection = new vscode.Selection(end, end);
  editor.revealRange(new vscode.Range(at, end));
}
