/**
 * "Charm: Show Model": one webview panel with the loss curves, model and corpus facts, and samples
 * at several temperatures (refreshed on request). Under a strict CSP, the page loads its style and
 * icon from media/ and its script from dist/webview/ (built from src/extension/modelView/webview.ts);
 * the messages both ways are those of modelView/messages.ts, checked on arrival.
 */
import * as vscode from 'vscode';
import { CancelSource } from '../completion/cancellation';
import type { InferenceClient } from '../ipc/inferenceClient';
import { buildModelReport, ModelReport } from '../modelReport';
import { readModelSummary } from '../modelStore';
import { HostToView, isViewToHost, Sample } from '../modelView/messages';
import { makeNonce, modelViewHtml } from '../modelViewHtml';
import type { TrainingStatus } from '../status';

const SAMPLE_TEMPERATURES = [0, 0.25, 0.5, 0.75, 1];
const SAMPLE_LENGTH = 160;

export interface ModelViewSource {
  /** The folder of the model in use. */
  root(): string;
  inUse(): NonNullable<ModelReport['inUse']>;
  training(): TrainingStatus | undefined;
  inference: InferenceClient;
}

export class ModelView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private sampling: CancelSource | undefined;
  /** The first samples continue the line being edited, if any: more telling than a blank start. */
  private firstPrime = '';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: ModelViewSource,
  ) {}

  show(): void {
    this.firstPrime = currentLinePrefix();
    if (this.panel) {
      this.panel.reveal();
      this.refresh();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const script = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('charm.model', 'Charm: Model', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media, script],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    panel.webview.html = modelViewHtml(
      {
        cspSource: panel.webview.cspSource,
        scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(script, 'modelView.js')).toString(),
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'modelView.css')).toString(),
      },
      makeNonce(),
    );
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    panel.onDidDispose(() => {
      this.sampling?.cancel();
      this.panel = undefined;
    });
  }

  /** Sends the current report (after training progress, a new checkpoint, a deletion). */
  refresh(): void {
    if (!this.panel) return; // the report reads the checkpoint's config: only for a panel
    this.post({ type: 'report', report: this.report() });
  }

  get visible(): boolean {
    return this.panel !== undefined;
  }

  private report(): ModelReport {
    const root = this.source.root();
    return buildModelReport(root, readModelSummary(root), this.source.inference.state, this.source.training(), this.source.inUse());
  }

  private post(message: HostToView): void {
    void this.panel?.webview.postMessage(message);
  }

  /** Anything but the view's two requests is ignored (the page is ours, but a message is still input). */
  private onMessage(m: unknown): void {
    if (!isViewToHost(m)) return;
    if (m.type === 'ready') {
      this.refresh();
      this.post({ type: 'prime', text: this.firstPrime });
      void this.sendSamples(this.firstPrime);
    } else {
      void this.sendSamples(m.prime);
    }
  }

  private async sendSamples(prime: string): Promise<void> {
    this.sampling?.cancel();
    const source = new CancelSource();
    this.sampling = source;
    let samples: Sample[] | undefined;
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
    if (source.token.isCancellationRequested) return;
    this.post({ type: 'samples', samples, error, prime });
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
