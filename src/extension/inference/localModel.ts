/**
 * The completion engine in this process, behind the same CompletionModel interface the extension's
 * inference client has: `charm complete` and the keystroke benchmark drive CompletionService with
 * it, so they give exactly what the extension would show, without a child process.
 */
import type { BackendChoice } from '../../accel';
import type { CancelToken } from '../completion/cancellation';
import type { CompletionModel } from '../completion/completionService';
import type { CompletionReply } from '../ipc/inferenceClient';
import type { CompleteRequest } from '../protocol';
import { EngineOptions, InferenceEngine } from './inferenceEngine';
import { loadForInference } from './modelLoader';
import { buildWorkspaceMemory, learnSavedFile, memoryModels, SavedOutcome, WorkspaceMemory } from './workspaceMemory';

export interface LocalModelOptions {
  /** A checkpoint root or folder; undefined: the n-gram memory alone. */
  modelDir?: string;
  backend?: BackendChoice;
  /**
   * Files and folders the workspace memory (n-gram) learns, read with the training corpus rules:
   * the same paths the model was trained on. Undefined: none.
   */
  corpusPaths?: string[];
  /** Engine tuning (the benchmark's ablation); defaults are what the extension uses. */
  engine?: Partial<EngineOptions>;
}

export class LocalCompletionModel implements CompletionModel {
  private constructor(
    private engine: InferenceEngine,
    private readonly memory: WorkspaceMemory | undefined,
    private readonly options: LocalModelOptions,
  ) {}

  static async open(options: LocalModelOptions): Promise<LocalCompletionModel> {
    if (!options.modelDir && !options.corpusPaths?.length) throw new Error('LocalCompletionModel: give a model folder, a corpus, or both');
    const lstm = options.modelDir ? await loadForInference(options.modelDir, options.backend ?? 'auto') : undefined;
    const memory = options.corpusPaths?.length ? await buildWorkspaceMemory(options.corpusPaths) : undefined;
    return new LocalCompletionModel(new InferenceEngine({ lstm, ...memoryModels(memory) }, options.engine), memory, options);
  }

  get ready(): boolean {
    return true;
  }

  async complete(req: Omit<CompleteRequest, 'type' | 'id'>, token: CancelToken): Promise<CompletionReply | undefined> {
    const started = performance.now();
    const r = await this.engine.complete({ type: 'complete', id: 0, ...req }, () => token.isCancellationRequested);
    if (!r) return undefined;
    return { text: r.text, logProbs: r.logProbs, next: r.next, reuse: r.reuse, ms: performance.now() - started, stoppedBy: r.stoppedBy };
  }

  forget(doc: string): void {
    this.engine.forget(doc);
  }

  /**
   * Completes with the checkpoint in `modelDir` from now on, keeping the workspace memory and what it
   * learned (as the inference process does when training writes a new checkpoint).
   */
  async replaceModel(modelDir: string): Promise<void> {
    const lstm = await loadForInference(modelDir, this.options.backend ?? 'auto');
    const old = this.engine;
    this.engine = new InferenceEngine({ lstm, ...memoryModels(this.memory) }, this.options.engine);
    old.dispose();
  }

  /** A saved file teaches the workspace memory, as in the extension (undefined: no memory, the LSTM alone). */
  async learnSavedFile(file: string, bytes: Uint8Array): Promise<SavedOutcome | undefined> {
    return this.memory ? learnSavedFile(this.memory, file, bytes) : undefined;
  }

  /** Unlearns every saved file. */
  forgetSaved(): void {
    this.memory?.saved.clear();
  }

  dispose(): void {
    this.engine.dispose();
  }
}
