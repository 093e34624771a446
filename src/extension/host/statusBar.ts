/** The status bar item: shows statusView(state); a click opens the actions menu (charm.statusMenu). */
import * as vscode from 'vscode';
import { HostState, StatusKind, statusView } from '../status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private kindValue: StatusKind = 'loading';

  constructor() {
    this.item = vscode.window.createStatusBarItem('charm.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Charm';
    this.item.command = 'charm.statusMenu';
  }

  get kind(): StatusKind {
    return this.kindValue;
  }

  update(state: HostState): void {
    const view = statusView(state);
    this.kindValue = view.kind;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
