/**
 * "Charm: Show Model": one webview panel with the loss curves, model and corpus facts, and samples
 * at several temperatures (refreshed on request). Assets come from media/ under a strict CSP.
 */
import * as vscode from 'vscode';
import { CancelSource } from '../completion/cancellation';
import type { InferenceClient } from '../ipc/inferenceClient';
import { buildModelReport, ModelReport } from '../modelReport';
import { readModelSummary } from '../modelStore';
import { makeNonce, modelViewHtml } from '../modelViewHtml';
import type { TrainingStatus } from '../status';

export const SAMPLE_TEMPERATURES = [0, 0.25, 0.5, 0.75, 1];
const SAMPLE_LENGTH = 160;

export interface ModelViewSource {
  root(): string;
  training(): TrainingStatus | undefined;
  inference: InferenceClient;
}

export class ModelView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private sampling: CancelSource | undefined;
  /** The first samples continue the line being edited, if any: more telling than a blank start. */
  private firstPrime = '';

  constructor(private readonly extensionUri: vscode.Uri, private readonly source: ModelViewSource) {}

  show(): void {
    this.firstPrime = currentLinePrefix();
    if (this.panel) {
      this.panel.reveal();
      this.refresh();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('charm.model', 'Charm: Model', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    panel.webview.html = modelViewHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'modelView.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'modelView.css')).toString(),
    }, makeNonce());
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    panel.onDidDispose(() => {
      this.sampling?.cancel();
      this.panel = undefined;
    });
  }

  /** Sends the current report (after training progress, a new checkpoint, a deletion). */
  refresh(): void {
    if (!this.panel) return;
    void this.panel.webview.postMessage({ type: 'report', report: this.report() });
  }

  get visible(): boolean {
    return this.panel !== undefined;
  }

  private report(): ModelReport {
    const root = this.source.root();
    return buildModelReport(root, readModelSummary(root), this.source.inference.state, this.source.training());
  }

  private onMessage(m: unknown): void {
    if (typeof m !== 'object' || m === null) return;
    const msg = m as { type?: unknown; prime?: unknown };
    if (msg.type === 'ready') {
      this.refresh();
      void this.panel?.webview.postMessage({ type: 'prime', text: this.firstPrime });
      void this.sendSamples(this.firstPrime);
    } else if (msg.type === 'samples') {
      void this.sendSamples(typeof msg.prime === 'string' ? msg.prime : '');
    }
  }

  private async sendSamples(prime: string): Promise<void> {
    this.sampling?.cancel();
    const source = new CancelSource();
    this.sampling = source;
    let samples: { temperature: number; text: string }[] | undefined;
    let error: string | undefined;
    if (this.source.inference.state.kind !== 'ready') {
      error = 'No model loaded: train one first ("Charm: Train on Workspace").';
    } else {
      try {
        samples = await this.source.inference.samples(prime, SAMPLE_TEMPERATURES, SAMPLE_LENGTH, source.token);
        if (!samples && !source.token.isCancellationRequested) error = 'The model could not produce samples right now.';
      } catch (e) {
        error = `Sampling failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (source.token.isCancellationRequested || !this.panel) return;
    void this.panel.webview.postMessage({ type: 'samples', samples, error, prime });
  }

  dispose(): void {
    this.sampling?.cancel();
    this.panel?.dispose();
  }
}

/** The active editor's line up to the cursor (at most 80 characters), or ''. */
function currentLinePrefix(): string {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return '';
  const pos = editor.selection.active;
  return editor.document.lineAt(pos.line).text.slice(0, pos.character).slice(-80).trimStart();
}
