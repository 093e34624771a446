/**
 * The host's side of the inference process: starts it on first use, tells it which model to load,
 * turns requests into promises (cancelled by a token), and restarts it after a crash, with a
 * limit, so a model that crashes the process every time does not loop forever.
 */
import type { BackendChoice } from '../../accel';
import type { CancelToken } from '../completion/cancellation';
import { CompleteRequest, HostToInference, InferenceToHost, isInferenceToHost, LoadedInfo } from '../protocol';
import { ChildChannel, ChildOptions, describeExit } from './childProcess';

export type ModelState =
  { kind: 'stopped' } | { kind: 'loading' } | { kind: 'ready'; info: LoadedInfo } | { kind: 'none'; message: string } | { kind: 'failed'; message: string };

/** The completion process's answer, as the pipeline sees it (the protocol's message without its envelope). */
export type CompletionReply = Omit<Extract<InferenceToHost, { type: 'completion' }>, 'type' | 'id'>;

type Reply = Extract<InferenceToHost, { id: number }>;

interface Pending {
  resolve(reply: Reply | undefined): void;
  onProgress?: (chars: number, total: number) => void;
}

/** Crashes tolerated within RESTART_WINDOW_MS before giving up until the next explicit load. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export class InferenceClient {
  private channel: ChildChannel<HostToInference, InferenceToHost> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private model: { root: string; backend: BackendChoice; memoryRoot?: string } | undefined;
  private crashes: number[] = [];
  private disposed = false;
  private stateValue: ModelState = { kind: 'stopped' };
  private readonly listeners: ((state: ModelState) => void)[] = [];

  constructor(private readonly child: ChildOptions) {}

  get state(): ModelState {
    return this.stateValue;
  }

  /** The process id while the process runs. */
  get pid(): number | undefined {
    return this.channel?.alive ? this.channel.pid : undefined;
  }

  /** Returns a function that removes the listener. */
  onState(listener: (state: ModelState) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const k = this.listeners.indexOf(listener);
      if (k >= 0) this.listeners.splice(k, 1);
    };
  }

  /**
   * Loads (or reloads) the model in `root`; starts the process if needed. `memoryRoot` names where
   * the workspace memory's spec lies when the model is not the workspace's own (default `root`).
   */
  load(root: string, backend: BackendChoice, memoryRoot?: string): void {
    const same = this.model?.root === root && this.model.backend === backend && this.model.memoryRoot === memoryRoot;
    this.model = { root, backend, memoryRoot };
    this.crashes = [];
    // Reloading the same model (a newer checkpoint): the loaded one keeps serving meanwhile.
    if (!(same && this.stateValue.kind === 'ready' && this.channel?.alive)) this.setState({ kind: 'loading' });
    this.ensureChannel().send({ type: 'load', root, backend, memoryRoot });
  }

  /** A fresh process for the same model (e.g. after a native backend was installed: a process loads it at start). */
  restart(): void {
    const channel = this.channel;
    this.channel = undefined;
    this.resolveAll();
    channel?.kill();
    if (this.model) {
      const { root, backend, memoryRoot } = this.model;
      this.model = undefined;
      this.load(root, backend, memoryRoot);
    }
  }

  /** Drops the model (e.g. before deleting it). */
  unload(): void {
    this.model = undefined;
    this.channel?.send({ type: 'unload' });
    this.setState({ kind: 'none', message: 'No model' });
  }

  async complete(req: Omit<CompleteRequest, 'type' | 'id'>, token: CancelToken): Promise<CompletionReply | undefined> {
    const reply = await this.request((id) => ({ type: 'complete', id, ...req }), token);
    return reply?.type === 'completion'
      ? { text: reply.text, logProbs: reply.logProbs, next: reply.next, reuse: reply.reuse, ms: reply.ms, stoppedBy: reply.stoppedBy }
      : undefined;
  }

  /** Undefined when cancelled or no model; throws when the process reports an error. */
  async generate(
    prompt: string,
    length: number,
    temperature: number,
    token: CancelToken,
    onProgress?: (chars: number, total: number) => void,
  ): Promise<string | undefined> {
    const reply = await this.request((id) => ({ type: 'generate', id, prompt, length, temperature }), token, onProgress);
    if (reply?.type === 'failed') throw new Error(reply.message);
    return reply?.type === 'generated' ? reply.text : undefined;
  }

  async samples(prime: string, temperatures: number[], length: number, token: CancelToken): Promise<{ temperature: number; text: string }[] | undefined> {
    const reply = await this.request((id) => ({ type: 'samples', id, prime, temperatures, length }), token);
    if (reply?.type === 'failed') throw new Error(reply.message);
    return reply?.type === 'samples' ? reply.samples : undefined;
  }

  /** The document closed: its states can go. */
  forget(doc: string): void {
    this.channel?.send({ type: 'forget', doc });
  }

  /** The user saved a file: the workspace memory learns it. */
  learnFile(path: string): void {
    this.channel?.send({ type: 'learnFile', path });
  }

  dispose(): void {
    this.disposed = true;
    this.resolveAll();
    this.channel?.kill();
    this.channel = undefined;
  }

  private request(make: (id: number) => HostToInference, token: CancelToken, onProgress?: Pending['onProgress']): Promise<Reply | undefined> {
    if (token.isCancellationRequested || this.stateValue.kind !== 'ready' || !this.channel) return Promise.resolve(undefined);
    const id = this.nextId++;
    const channel = this.channel;
    return new Promise<Reply | undefined>((resolve) => {
      const sub = token.onCancellationRequested(() => {
        channel.send({ type: 'cancel', id });
        // Answer at once: the editor has moved on; the process's 'dropped' reply is ignored.
        this.settle(id, undefined);
      });
      this.pending.set(id, {
        resolve: (r) => {
          sub.dispose();
          resolve(r);
        },
        onProgress,
      });
      if (!channel.send(make(id))) this.settle(id, undefined);
    });
  }

  private settle(id: number, reply: Reply | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.resolve(reply);
  }

  private resolveAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
  }

  private ensureChannel(): ChildChannel<HostToInference, InferenceToHost> {
    if (this.channel?.alive) return this.channel;
    const channel = new ChildChannel<HostToInference, InferenceToHost>(this.child, isInferenceToHost);
    this.channel = channel;
    channel.onMessage((m) => this.onMessage(m));
    channel.onExit((exit) => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.resolveAll();
      if (this.disposed) return;
      const now = Date.now();
      this.crashes = [...this.crashes.filter((t) => now - t < RESTART_WINDOW_MS), now];
      const why = describeExit(exit);
      this.child.log?.(`[${this.child.name}] died: ${why}`);
      if (this.model && this.crashes.length <= MAX_RESTARTS) {
        const { root, backend, memoryRoot } = this.model;
        const crashes = this.crashes;
        setTimeout(() => {
          if (this.disposed || !this.model) return;
          this.load(root, backend, memoryRoot);
          this.crashes = crashes;
        }, 500 * this.crashes.length);
        this.setState({ kind: 'loading' });
      } else {
        this.setState({ kind: 'failed', message: `The completion process stopped: ${why}` });
      }
    });
    return channel;
  }

  private onMessage(m: InferenceToHost): void {
    switch (m.type) {
      case 'loaded':
        this.setState({ kind: 'ready', info: m.info });
        return;
      case 'noModel':
        this.setState({ kind: 'none', message: m.message });
        return;
      case 'loadFailed':
        this.setState({ kind: 'failed', message: m.message });
        return;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.chars, m.total);
        return;
      default:
        this.settle(m.id, m);
    }
  }

  private setState(state: ModelState): void {
    this.stateValue = state;
    for (const l of [...this.listeners]) l(state);
  }
}
