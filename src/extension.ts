/**
 * Charm's VS Code extension: trains a character-level LSTM on the workspace in a background
 * process and completes text inline from a second, long-lived process. Everything stays local.
 * This file only starts and stops it; see src/extension/host/charm.ts for the wiring.
 */
import type * as vscode from 'vscode';
import { Charm, CharmApi } from './extension/host/charm';

let charm: Charm | undefined;

/** Returns a small API (what the status bar shows, where the model lives), used by tests. */
export function activate(context: vscode.ExtensionContext): CharmApi {
  charm = new Charm(context);
  return charm.api;
}

/** Stops a running training (it saves a checkpoint) and the completion process. */
export async function deactivate(): Promise<void> {
  const c = charm;
  charm = undefined;
  await c?.dispose();
}
