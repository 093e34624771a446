/**
 * The VS Code face of CompletionService: reads what it needs at the cursor and wraps the
 * suggestion in an InlineCompletionItem (ghost text; Tab accepts, and VS Code's own "accept next
 * word / line" commands give partial accept).
 */
import * as vscode from 'vscode';
import type { CompletionInput, CompletionService } from '../completion/completionService';
import { BEFORE_CHARS, completionInputFrom } from '../completion/input';

export class CharmInlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly service: CompletionService,
    private readonly log?: (line: string) => void,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    // The suggest widget is open: its selected item is what the user is looking at.
    if (context.selectedCompletionInfo) return undefined;
    const input = completionInput(document, position);
    input.explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const outcome = await this.service.provide(input, token);
    if (outcome.kind !== 'suggestion') {
      if (outcome.why !== 'cancelled' && outcome.why !== 'stale') {
        this.log?.(
          `no completion at ${position.line + 1}:${position.character + 1} (${outcome.why}${outcome.model !== undefined ? `; the model said ${JSON.stringify(outcome.model)}` : ''})`,
        );
      }
      return undefined;
    }
    const r = outcome.reply;
    this.log?.(
      `completion ${JSON.stringify(outcome.text)} (${outcome.source}${r ? `, state ${r.reuse}, ${r.ms.toFixed(1)} ms, probability right ${(outcome.confidence ?? 0).toFixed(2)}` : ''})`,
    );
    return [new vscode.InlineCompletionItem(outcome.text, new vscode.Range(position, position))];
  }
}

function completionInput(document: vscode.TextDocument, position: vscode.Position): CompletionInput {
  const offset = document.offsetAt(position);
  const start = document.positionAt(Math.max(0, offset - BEFORE_CHARS));
  const line = document.lineAt(position.line).text;
  const input = completionInputFrom({
    doc: document.uri.toString(),
    version: document.version,
    languageId: document.languageId,
    offset,
    before: document.getText(new vscode.Range(start, position)),
    after: line.slice(position.character),
    nextLine: position.line + 1 < document.lineCount ? document.lineAt(position.line + 1).text : undefined,
  });
  // The document knows its line end even before the text before the cursor holds one.
  return { ...input, eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n' };
}
