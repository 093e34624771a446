/**
 * The extension's composition root: the completion process client, the training controller, the
 * inline provider, the status bar, the model view and the commands, wired together.
 */
import * as vscode from 'vscode';
import { CompletionService } from '../completion/completionService';
import type { ChildOptions } from '../ipc/childProcess';
import { InferenceClient } from '../ipc/inferenceClient';
import { hasCompletionSource, modelRoot } from '../modelStore';
import type { CharmSettings } from '../settings';
import type { StatusKind } from '../status';
import { currentSettings } from './config';
import { generateFromSelection } from './generateCommand';
import { CharmInlineProvider } from './inlineProvider';
import { createLogger, Logger } from './logger';
import { deleteModelCommand, showModel, statusMenu, toggleInlineCompletions } from './modelCommands';
import { ModelView } from './modelView';
import type { CharmServices } from './services';
import { StatusBar } from './statusBar';
import { stopTraining, trainOnCorpus, trainOnWorkspace } from './trainingCommands';
import { TrainingSupervisor } from './trainingSupervisor';

/** What activate() returns to other extensions and tests. */
export interface CharmApi {
  /** The state the status bar shows: 'training', 'ready', 'off', 'no model', 'loading' or 'error'. */
  status(): StatusKind;
  /** The checkpoint folder of this window's model (holds best/ and latest/). */
  modelRoot(): string;
}

export class Charm implements CharmServices, vscode.Disposable {
  readonly api: CharmApi = { status: () => this.status.kind, modelRoot: () => this.modelRoot() };
  readonly log: Logger;
  readonly inference: InferenceClient;
  readonly training: TrainingSupervisor;
  readonly modelView: ModelView;
  private readonly completions: CompletionService;
  private readonly status: StatusBar;
  private cachedSettings: CharmSettings | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ext: vscode.ExtensionContext) {
    this.log = createLogger('Charm');
    const child = (name: string, script: string): ChildOptions => ({
      name,
      modulePath: ext.asAbsolutePath(`dist/${script}`),
      // Under VS Code desktop the host's executable is Electron: this makes it run as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      log: (line) => this.log.info(line),
    });
    const inference = new InferenceClient(child('inference', 'inferenceProcess.js'));
    this.inference = inference;
    this.training = new TrainingSupervisor(
      child('trainer', 'trainerProcess.js'),
      {
        onBestCheckpoint: () => this.loadModel(),
        onChange: () => this.refresh(),
        // The run's last evaluation already reloaded a ready model; otherwise (no model before,
        // or a crash) load whatever is on disk now.
        onEnded: () => {
          if (this.inference.state.kind !== 'ready') this.loadModel();
        },
      },
      this.log,
    );
    this.completions = new CompletionService(
      {
        get ready() {
          return inference.state.kind === 'ready';
        },
        complete: (req, token) => inference.complete(req, token),
      },
      () => this.settings().inline,
    );
    this.status = new StatusBar();
    this.modelView = new ModelView(ext.extensionUri, { root: () => this.modelRoot(), training: () => this.training.status, inference });

    this.inference.onState((state) => {
      if (state.kind === 'ready') {
        const i = state.info;
        const memory = i.memory ? `; workspace memory of ${i.memory.files} files, ${i.memory.chars} characters` : '';
        this.log.info(
          i.neural
            ? `model loaded: ${i.dir} (step ${i.step}, backend ${i.backendDetail}${memory})`
            : `completing with the workspace memory alone until the first checkpoint${memory}`,
        );
        this.completions.reset();
      } else if (state.kind === 'failed') {
        this.log.error(state.message);
      }
      this.refresh();
    });

    const provider = new CharmInlineProvider(this.completions, (line) => this.log.debug(line));
    const commands: [string, () => unknown][] = [
      ['charm.trainOnWorkspace', () => trainOnWorkspace(this)],
      ['charm.trainOnCorpus', () => trainOnCorpus(this)],
      ['charm.stopTraining', () => stopTraining(this)],
      ['charm.generateFromSelection', () => generateFromSelection(this)],
      ['charm.toggleInlineCompletions', () => toggleInlineCompletions(this)],
      ['charm.showModel', () => showModel(this)],
      ['charm.deleteModel', () => deleteModelCommand(this)],
      ['charm.statusMenu', () => statusMenu(this)],
    ];
    this.disposables.push(
      this.log,
      this.status,
      this.modelView,
      vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
      ...commands.map(([id, run]) => vscode.commands.registerCommand(id, () => this.guard(id, run))),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.completions.forget(d.uri.toString());
        this.inference.forget(d.uri.toString());
      }),
      // Continuous learning: the inference process reads the saved file with the memory's corpus rules.
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (this.settings().inline.learnFromSavedFiles && d.uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(d.uri))
          this.inference.learnFile(d.uri.fsPath);
      }),
    );
    this.loadModel();
    this.refresh();
  }

  settings(): CharmSettings {
    this.cachedSettings ??= currentSettings();
    return this.cachedSettings;
  }

  modelRoot(): string {
    return modelRoot(this.ext.storageUri?.fsPath, this.ext.globalStorageUri.fsPath);
  }

  loadModel(): void {
    const root = this.modelRoot();
    // Nothing to complete with yet: no need for a process holding nothing.
    if (hasCompletionSource(root)) this.inference.load(root, this.settings().backend);
    else this.inference.unload();
  }

  refresh(): void {
    this.status.update({ model: this.inference.state, training: this.training.status, inlineEnabled: this.settings().inline.enabled });
    this.modelView.refresh();
  }

  private onConfigChange(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('charm')) return;
    const before = this.settings();
    this.cachedSettings = undefined;
    const after = this.settings();
    if (before.backend !== after.backend) this.loadModel();
    this.completions.reset();
    this.refresh();
  }

  /** Commands never throw at VS Code: unexpected errors are shown once and logged with their stack. */
  private async guard(id: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (e) {
      this.log.error(`${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      void vscode.window.showErrorMessage(`Charm: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async dispose(): Promise<void> {
    await this.training.dispose();
    this.inference.dispose();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
