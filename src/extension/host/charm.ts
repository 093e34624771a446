/**
 * The extension's composition root: the completion process client, the training controller, the
 * inline provider, the status bar, the model view and the commands, wired together.
 */
import * as vscode from 'vscode';
import type { ImportRequest } from '../../interop/importModel';
import type { ImportSummary } from '../protocol';
import { NATIVE_MODULES_ENV } from '../../util/nativePackage';
import { CompletionService } from '../completion/completionService';
import type { ChildOptions } from '../ipc/childProcess';
import { runImport } from '../ipc/importClient';
import { InferenceClient } from '../ipc/inferenceClient';
import { describeSource, importSourceOf, isModelChoice, ModelChoice } from '../modelChoice';
import { findCheckpoint, hasCompletionSource, hasModel, importsRoot, modelRoot, readMemorySpec } from '../modelStore';
import { AdaptationClient } from '../ipc/adaptationClient';
import { ADAPT_DEFAULTS } from '../../training/adaptLimits';
import { AdaptScheduler, RunningAdaptation } from '../training/adaptScheduler';
import { nativeFolder } from '../native/installNative';
import type { CharmSettings } from '../settings';
import type { StatusKind } from '../status';
import { currentSettings } from './config';
import { generateFromSelection } from './generateCommand';
import { CharmInlineProvider } from './inlineProvider';
import { createLogger, Logger } from './logger';
import { deleteModelCommand, showModel, statusMenu, toggleInlineCompletions } from './modelCommands';
import { ModelView } from './modelView';
import { installNativeBackendCommand } from './nativeCommand';
import type { CharmServices } from './services';
import { StatusBar } from './statusBar';
import { stopTraining, trainOnCorpus, trainOnWorkspace } from './trainingCommands';
import { TrainingSupervisor } from './trainingSupervisor';
import { useModel } from './useModelCommand';

/** workspaceState key of the model chosen with "Use Model…". */
const CHOICE_KEY = 'charm.modelChoice';

/** What activate() returns to other extensions and tests. */
export interface CharmApi {
  /** The state the status bar shows: 'training', 'ready', 'off', 'no model', 'loading' or 'error'. */
  status(): StatusKind;
  /** The checkpoint folder of this window's own model (holds best/ and latest/). */
  modelRoot(): string;
  /** The folder of the model completions use: the chosen one, else modelRoot(). */
  modelInUse(): string;
}

export class Charm implements CharmServices, vscode.Disposable {
  readonly api: CharmApi = { status: () => this.status.kind, modelRoot: () => this.modelRoot(), modelInUse: () => this.inUse().root };
  readonly log: Logger;
  readonly inference: InferenceClient;
  readonly training: TrainingSupervisor;
  readonly modelView: ModelView;
  readonly adaptation: AdaptScheduler;
  private readonly completions: CompletionService;
  private readonly status: StatusBar;
  private cachedSettings: CharmSettings | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly child: (name: string, script: string) => ChildOptions;
  /** Logged once per missing folder: a chosen model that is gone (an unmounted share) falls back to the workspace's own. */
  private missingChoiceLogged: string | undefined;
  private about: { root: string; text: string } | undefined;

  constructor(private readonly ext: vscode.ExtensionContext) {
    this.log = createLogger('Charm');
    const child = (name: string, script: string): ChildOptions => ({
      name,
      modulePath: ext.asAbsolutePath(`dist/${script}`),
      // Under VS Code desktop the host's executable is Electron: ELECTRON_RUN_AS_NODE makes it run as
      // plain Node. The processes load tfjs-node from the native folder when one is installed there.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', [NATIVE_MODULES_ENV]: process.env[NATIVE_MODULES_ENV] ?? this.nativeFolder() },
      log: (line) => this.log.info(line),
    });
    this.child = child;
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
    this.adaptation = new AdaptScheduler({
      clock: { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
      // Only the workspace's own model adapts (a chosen folder is never written), and only with its memory.json rules.
      canAdapt: () => {
        const root = this.modelRoot();
        return this.settings().training.adaptToSavedFiles && !this.training.running && !this.chosenModel() && hasModel(root) && !!readMemorySpec(root);
      },
      start: (files) => this.startAdaptation(files),
    });
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
    this.modelView = new ModelView(ext.extensionUri, {
      root: () => this.inUse().root,
      inUse: () => this.inUseReport(),
      training: () => this.training.status,
      inference,
    });

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
    const commands: [string, (...args: unknown[]) => unknown][] = [
      ['charm.trainOnWorkspace', () => trainOnWorkspace(this)],
      ['charm.trainOnCorpus', () => trainOnCorpus(this)],
      ['charm.stopTraining', () => stopTraining(this)],
      ['charm.generateFromSelection', () => generateFromSelection(this)],
      ['charm.toggleInlineCompletions', () => toggleInlineCompletions(this)],
      ['charm.showModel', () => showModel(this)],
      ['charm.deleteModel', () => deleteModelCommand(this)],
      ['charm.useModel', (target) => useModel(this, target)],
      ['charm.installNativeBackend', () => installNativeBackendCommand(this)],
      ['charm.statusMenu', () => statusMenu(this)],
    ];
    this.disposables.push(
      this.log,
      this.status,
      this.modelView,
      vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
      ...commands.map(([id, run]) => vscode.commands.registerCommand(id, (...args: unknown[]) => this.guard(id, () => run(...args)))),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.completions.forget(d.uri.toString());
        this.inference.forget(d.uri.toString());
      }),
      // Continuous learning: the inference process reads the saved file with the memory's corpus rules.
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (this.settings().inline.learnFromSavedFiles && d.uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(d.uri))
          this.inference.learnFile(d.uri.fsPath);
        if (d.uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(d.uri)) this.adaptation.saved(d.uri.fsPath, d.getText().length);
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

  importsRoot(): string {
    return importsRoot(this.ext.storageUri?.fsPath, this.ext.globalStorageUri.fsPath);
  }

  nativeFolder(): string {
    return nativeFolder(this.ext.globalStorageUri.fsPath);
  }

  chosenModel(): ModelChoice | undefined {
    const stored = this.ext.workspaceState.get<unknown>(CHOICE_KEY);
    return isModelChoice(stored) ? stored : undefined;
  }

  async chooseModel(choice: ModelChoice | undefined): Promise<void> {
    await this.ext.workspaceState.update(CHOICE_KEY, choice);
    this.missingChoiceLogged = undefined;
    this.log.info(choice ? `model in use: ${choice.label} (${choice.root})` : "model in use: this workspace's own");
    this.loadModel();
    this.refresh();
  }

  importModel(request: ImportRequest, signal?: AbortSignal): Promise<ImportSummary> {
    return runImport(this.child('import', 'importProcess.js'), request, signal);
  }

  /** The model completions use: the chosen one while its folder holds a checkpoint, else the workspace's own. */
  private inUse(): { root: string; choice?: ModelChoice } {
    const choice = this.chosenModel();
    if (!choice) return { root: this.modelRoot() };
    if (findCheckpoint(choice.root)) return { root: choice.root, choice };
    if (this.missingChoiceLogged !== choice.root) {
      this.missingChoiceLogged = choice.root;
      this.log.warn(`the chosen model ${choice.label} is not at ${choice.root} any more: using this workspace's own until it is back`);
    }
    return { root: this.modelRoot() };
  }

  /** Where the chosen model came from; read once per folder (refresh runs on every training step shown). */
  private aboutChoice(choice: ModelChoice, root: string): string {
    if (this.about?.root !== root) {
      const dir = findCheckpoint(root);
      const source = dir ? importSourceOf(dir) : undefined;
      this.about = { root, text: source ? `${describeSource(source)}, in ${root}` : choice.root };
    }
    return this.about.text;
  }

  private inUseReport(): { label: string; chosen: boolean; about?: string } {
    const { root, choice } = this.inUse();
    if (!choice) return { label: "this workspace's own", chosen: false };
    return { label: choice.label, chosen: true, about: this.aboutChoice(choice, root) };
  }

  loadModel(): void {
    const own = this.modelRoot();
    const { root } = this.inUse();
    // Nothing to complete with yet: no need for a process holding nothing. A chosen model still
    // completes with the workspace memory of this workspace's files.
    if (hasCompletionSource(root) || hasCompletionSource(own)) this.inference.load(root, this.settings().backend, root === own ? undefined : own);
    else this.inference.unload();
  }

  /** One adaptation in a low-priority trainer process; completions reload when it wrote adapted/. */
  private startAdaptation(files: string[]): RunningAdaptation {
    const root = this.modelRoot();
    const { steps, learningRate, maxSeconds, maxChars } = ADAPT_DEFAULTS;
    this.log.info(`adapting the model to ${files.length} saved file${files.length === 1 ? '' : 's'}`);
    const client = new AdaptationClient(
      { root, files, steps, learningRate, maxSeconds, maxChars, backend: this.settings().backend },
      this.child('adapter', 'trainerProcess.js'),
    );
    const done = client.outcome.then((o) => {
      if (o.type === 'adapted') {
        const loss = o.lossBefore !== null && o.lossAfter !== null ? `; loss on them ${o.lossBefore.toFixed(3)} -> ${o.lossAfter.toFixed(3)}` : '';
        this.log.info(`adaptation to ${o.files} saved files: ${o.written ? 'written' : `nothing written (${o.reason})`}${loss}`);
        if (o.written) this.loadModel();
      } else {
        this.log.warn(`adaptation to saved files ${o.type === 'failed' ? `failed: ${o.message}` : `ended: ${o.reason}`}`);
      }
    });
    return { done, stop: () => client.stop() };
  }

  refresh(): void {
    const { root, choice } = this.inUse();
    this.status.update({
      model: this.inference.state,
      training: this.training.status,
      inlineEnabled: this.settings().inline.enabled,
      chosen: choice ? { label: choice.label, about: this.aboutChoice(choice, root) } : undefined,
    });
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
    this.adaptation.dispose();
    await this.training.dispose();
    this.inference.dispose();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
