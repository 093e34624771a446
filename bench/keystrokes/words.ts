/**
 * Words as VS Code sees them in TypeScript: what one Accept Next Word (Ctrl+Right on ghost text)
 * takes, and the words that word completion counts.
 */

/**
 * The TypeScript/JavaScript word definition VS Code registers, from microsoft/vscode
 * extensions/typescript-language-features/src/languageFeatures/languageConfiguration.ts
 * (`jsTsLanguageConfiguration.wordPattern`): a number with a decimal point, or a run of anything but
 * blanks and these separators (so `$` and `#` belong to words, as in `$foo` and `#bar`).
 */
const TS_WORD_PATTERN = /(-?\d*\.\d\w*)|([^`~!@%^&*()\-=+[{\]}\\|;:'",.<>/?\s]+)/;

const TS_WORDS_GLOBAL = new RegExp(TS_WORD_PATTERN.source, 'g');

/**
 * How many leading characters of the ghost text `text` one Accept Next Word takes. The rule of
 * `InlineCompletionsModel.acceptNextWord` in microsoft/vscode
 * src/vs/editor/contrib/inlineCompletions/browser/model/inlineCompletionsModel.ts: the first word
 * match if the text starts with a word, else everything before the first word; but never past the
 * end of the first run of blanks; the whole text when there is no word.
 */
export function nextWordLength(text: string, wordPattern: RegExp = TS_WORD_PATTERN): number {
  const word = new RegExp(wordPattern.source, wordPattern.flags.replace('g', '')).exec(text);
  let until = word ? (word.index === 0 ? word[0].length : word.index) : text.length;
  const blanks = /\s+/.exec(text);
  if (blanks && blanks.index + blanks[0].length < until) until = blanks.index + blanks[0].length;
  return until;
}

/** The words of `text` (TypeScript's word definition) with where each ends. */
export function* wordsOf(text: string): Generator<{ word: string; end: number }> {
  for (const m of text.matchAll(TS_WORDS_GLOBAL)) yield { word: m[0], end: (m.index ?? 0) + m[0].length };
}

/** The word being typed at the end of `before` ('' after a separator or a blank). */
export function wordBeforeCursor(before: string): string {
  const m = new RegExp(`(?:${TS_WORD_PATTERN.source})$`).exec(before.slice(-200));
  return m ? m[0] : '';
}
