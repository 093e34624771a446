/**
 * A forked Node child process speaking typed messages over IPC. Messages that fail the guard are
 * ignored (logged), the last lines of stderr are kept to explain a crash, and exits are reported
 * once, with a cause a user can act on.
 */
import { ChildProcess, fork } from 'node:child_process';

export interface ChildOptions {
  /** The script to run (dist/*.js, or a .ts file with execArgv loading tsx). */
  modulePath: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Used in log lines. */
  name: string;
  log?: (line: string) => void;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the child wrote to stderr. */
  stderrTail: string[];
}

const STDERR_LINES = 30;

export class ChildChannel<In, Out> {
  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private partial = '';
  private exited: ChildExit | undefined;
  private readonly messageListeners: ((message: Out) => void)[] = [];
  private readonly exitListeners: ((exit: ChildExit) => void)[] = [];

  constructor(
    private readonly options: ChildOptions,
    isOut: (value: unknown) => value is Out,
  ) {
    this.child = fork(options.modulePath, [], {
      execArgv: options.execArgv ?? [],
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stdout?.on('data', (d: Buffer) => this.logLines(d.toString('utf8'), false));
    this.child.stderr?.on('data', (d: Buffer) => this.logLines(d.toString('utf8'), true));
    this.child.on('message', (message: unknown) => {
      if (!isOut(message)) {
        options.log?.(`[${options.name}] ignored a malformed message: ${JSON.stringify(message).slice(0, 200)}`);
        return;
      }
      for (const l of [...this.messageListeners]) l(message);
    });
    // 'error' fires when the process could not be spawned or a send failed; 'exit' follows a spawned one.
    this.child.on('error', (e) => {
      options.log?.(`[${options.name}] ${e.message}`);
      if (this.child.pid === undefined) this.reportExit(null, null);
    });
    this.child.on('exit', (code, signal) => this.reportExit(code, signal));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  onMessage(listener: (message: Out) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (exit: ChildExit) => void): void {
    if (this.exited) listener(this.exited);
    else this.exitListeners.push(listener);
  }

  /** False when the child is gone (the message is dropped). */
  send(message: In): boolean {
    if (!this.alive || !this.child.connected) return false;
    try {
      this.child.send(message as object);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves when the child has exited (at once if it has). */
  whenExited(): Promise<ChildExit> {
    return new Promise((resolve) => this.onExit(resolve));
  }

  private reportExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    if (this.partial) this.pushStderr(this.partial);
    this.exited = { code, signal, stderrTail: [...this.stderr] };
    this.options.log?.(`[${this.options.name}] exited (${code === null ? `signal ${signal}` : `code ${code}`})`);
    for (const l of this.exitListeners.splice(0)) l(this.exited);
  }

  private logLines(text: string, isErr: boolean): void {
    const lines = (isErr ? this.partial + text : text).split('\n');
    if (isErr) this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      if (isErr) this.pushStderr(line);
      this.options.log?.(`[${this.options.name}] ${line}`);
    }
  }

  private pushStderr(line: string): void {
    this.stderr.push(line);
    if (this.stderr.length > STDERR_LINES) this.stderr.shift();
  }
}

/** One sentence on why a child ended badly, for the user. */
export function describeExit(exit: ChildExit): string {
  const text = exit.stderrTail.join('\n');
  if (/heap out of memory|Allocation failed|RangeError: Array buffer allocation failed|Out of memory/i.test(text)) {
    return 'it ran out of memory';
  }
  if (exit.signal === 'SIGKILL') return 'it was killed (SIGKILL; the system may have run out of memory)';
  if (exit.signal) return `it was stopped by ${exit.signal}`;
  const last = [...exit.stderrTail].reverse().find((l) => /\S/.test(l) && !/^\s+at /.test(l));
  return `it exited with code ${exit.code ?? '?'}${last ? `: ${last.trim().slice(0, 300)}` : ''}`;
}
