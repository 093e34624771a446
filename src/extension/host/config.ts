/** Reads Charm's settings (and files.exclude) from VS Code's configuration. */
import * as vscode from 'vscode';
import { CharmSettings, readSettings } from '../settings';

export function currentSettings(): CharmSettings {
  const config = vscode.workspace.getConfiguration('charm');
  return readSettings((key) => config.get(key));
}

/** The union of the files.exclude settings of the given folders (each folder may have its own). */
export function filesExcludeOf(folders: readonly vscode.Uri[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const scopes: (vscode.Uri | undefined)[] = folders.length ? [...folders] : [undefined];
  for (const scope of scopes) {
    const value = vscode.workspace.getConfiguration('files', scope).get<Record<string, unknown>>('exclude') ?? {};
    for (const [glob, on] of Object.entries(value)) {
      // Any folder excluding a glob excludes it (true wins over false or a condition).
      if (merged[glob] !== true) merged[glob] = on;
    }
  }
  return merged;
}

/** Writes a setting where it takes effect: the workspace if it sets it there, else the user settings. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration('charm');
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}
