/**
 * Charm's log: the "Charm" output channel, mirrored (every level, with timestamps) to the file
 * named by the CHARM_LOG_FILE environment variable when it is set, which is how the end-to-end
 * test and bug reports get the whole story of a session.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export interface Logger extends vscode.Disposable {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
}

export function createLogger(name: string, file = process.env.CHARM_LOG_FILE): Logger {
  const channel = vscode.window.createOutputChannel(name, { log: true });
  const mirror = (level: string, message: string) => {
    if (!file) return;
    try {
      fs.appendFileSync(file, `${new Date().toISOString()} [${level}] ${message}\n`);
    } catch {
      // A log file that cannot be written must not break the extension.
    }
  };
  return {
    debug: (m) => {
      channel.debug(m);
      mirror('debug', m);
    },
    info: (m) => {
      channel.info(m);
      mirror('info', m);
    },
    warn: (m) => {
      channel.warn(m);
      mirror('warn', m);
    },
    error: (m) => {
      channel.error(m);
      mirror('error', m);
    },
    show: () => channel.show(true),
    dispose: () => channel.dispose(),
  };
}
