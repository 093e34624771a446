/**
 * charm.inlineCompletions.languages: a map from language id to on/off, with "*" for the rest.
 * Listing one language must not silently turn the others off (a known pitfall of such maps): a
 * language not in the map follows "*", and without "*" it is on.
 */
export type LanguageMap = Readonly<Record<string, unknown>>;

export function isLanguageEnabled(map: LanguageMap | undefined, languageId: string): boolean {
  if (!map) return true;
  const own = Object.prototype.hasOwnProperty.call(map, languageId) ? map[languageId] : undefined;
  if (typeof own === 'boolean') return own;
  const star = map['*'];
  return typeof star === 'boolean' ? star : true;
}
