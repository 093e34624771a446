/**
 * The settings every suggester runs with: the extension's defaults, without the debounce (a fixed
 * wait, not work). The anchors' ghost text goes through the same trimming as Charm's (one line,
 * maxLength characters, no trailing blanks), so all of them are held to the same limits.
 */
import { trimCompletion } from '../../src/extension/completion/trimming';
import { DEFAULT_SETTINGS, InlineSettings } from '../../src/extension/settings';

export const BENCH_INLINE: InlineSettings = { ...DEFAULT_SETTINGS.inline, debounceMs: 0 };

/** `text` as the editor would show it at the end of `before` with nothing after the cursor ('' for nothing). */
export function fitGhostText(text: string, before: string): string {
  const linePrefix = before.slice(before.lastIndexOf('\n') + 1);
  const trimmed = trimCompletion(
    { text, linePrefix, lineSuffix: '', nextLine: undefined },
    { maxLength: BENCH_INLINE.maxLength, multiline: BENCH_INLINE.multiline },
  );
  return 'text' in trimmed ? trimmed.text : '';
}
