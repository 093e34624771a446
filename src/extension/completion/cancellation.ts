/**
 * The part of vscode.CancellationToken this code uses, so the completion logic runs (and is tested,
 * and benchmarked) without VS Code; a real vscode.CancellationToken satisfies it.
 */

export interface Disposable {
  dispose(): void;
}

export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): Disposable;
}

export const NEVER_CANCELLED: CancelToken = {
  isCancellationRequested: false,
  onCancellationRequested: () => ({ dispose: () => undefined }),
};

export class CancelSource {
  private cancelled = false;
  private listeners: (() => void)[] = [];
  readonly token: CancelToken;

  constructor() {
    const isCancelled = () => this.cancelled;
    this.token = {
      get isCancellationRequested(): boolean {
        return isCancelled();
      },
      onCancellationRequested: (listener: () => void): Disposable => {
        if (this.cancelled) {
          listener();
          return { dispose: () => undefined };
        }
        this.listeners.push(listener);
        return {
          dispose: () => {
            this.listeners = this.listeners.filter((l) => l !== listener);
          },
        };
      },
    };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const l of this.listeners.splice(0)) l();
  }
}

/**
 * Waits `ms`, or less if the token is cancelled first. Resolves true when the full time passed.
 */
export function delay(ms: number, token: CancelToken): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(true);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
