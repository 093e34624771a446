/**
 * The last guard before ghost text: a suggestion that would show a secret is dropped. Training
 * already replaces secrets by SECRET_PLACEHOLDER, so a model normally suggests the placeholder;
 * this also catches what slipped through (a model trained with --include-secrets, or by an older
 * Charm). It runs on every keystroke, so it uses only the cheap detectors of secretPatterns.ts
 * (regular expressions over at most a few hundred characters), never secretlint.
 */
import { SECRET_PLACEHOLDER, findSecretSpans, hasPrivateKeyHeader } from '../../training/secretPatterns';

/** Characters of the line before the cursor looked at: enough for a key name and a long token. */
const PREFIX_CHARS = 200;
/** A placeholder cut short by the length limit still counts from this many characters (`<sec`). */
const MIN_PLACEHOLDER_PART = 4;

/**
 * Whether showing `suggestion` after `linePrefix` would show a secret: the placeholder, a private
 * key, a token of a known shape, a high-entropy token, or a non-trivial value after a secret-named
 * key (`password = `), where the secret lies at least partly in the suggestion.
 */
export function suggestionLooksSecret(linePrefix: string, suggestion: string): boolean {
  if (suggestion === '') return false;
  const prefix = linePrefix.length > PREFIX_CHARS ? linePrefix.slice(-PREFIX_CHARS) : linePrefix;
  const text = prefix + suggestion;
  const start = prefix.length;

  // The text ends inside the suggestion, so a placeholder part at its end is the suggestion's.
  if (endsWithPlaceholderPart(text)) return true;
  // A placeholder ending after `start` overlaps the suggestion.
  if (text.includes(SECRET_PLACEHOLDER, Math.max(0, start - SECRET_PLACEHOLDER.length + 1))) return true;
  // On a key's header line, or continuing it: whatever follows is key material.
  if (hasPrivateKeyHeader(text)) return true;
  return findSecretSpans(text, { openEnded: true }).some((s) => s.end > start);
}

/** `password = "<sec` cut by maxLength: the suggestion ends in the start of the placeholder. */
function endsWithPlaceholderPart(text: string): boolean {
  for (let n = SECRET_PLACEHOLDER.length - 1; n >= MIN_PLACEHOLDER_PART; n--) {
    if (text.endsWith(SECRET_PLACEHOLDER.slice(0, n))) return true;
  }
  return false;
}
