/**
 * The cheap secret detectors shared by corpus redaction (src/training/secrets.ts, which adds
 * secretlint) and the completion filter (src/extension/completion/secretFilter.ts, which runs on
 * every keystroke). Plain regular expressions and arithmetic: no I/O, no dependencies.
 *
 * Kinds found:
 * - private-key: the body of a `-----BEGIN … PRIVATE KEY-----` block;
 * - token: well-known token shapes (AWS key IDs, GitHub, Slack, Stripe, `sk-…` API keys, Google,
 *   npm, SendGrid, JSON web tokens);
 * - url-password: the password of `scheme://user:password@host`;
 * - assignment: the value given to a secret-named key (`password = …`, `API_KEY=…`,
 *   `"secret": "…"`), unless the value is code (`prompt()`, `config.token`), a placeholder or empty;
 * - high-entropy: a token of 20+ characters of [A-Za-z0-9+/_-] that looks random (see
 *   isHighEntropyToken).
 */

/** What every secret becomes before training; the completion filter recognises it. */
export const SECRET_PLACEHOLDER = '<secret>';

export type SecretKind = 'private-key' | 'token' | 'url-password' | 'assignment' | 'high-entropy';

/** A secret at text[start, end). */
export interface SecretSpan {
  start: number;
  end: number;
  kind: SecretKind;
}

export interface FindOptions {
  /**
   * The text may stop in the middle of a secret (text typed so far plus a suggestion): a token
   * shape or a quoted value running into the end counts even if it is still short or unclosed.
   */
  openEnded?: boolean;
}

/** Every secret the cheap detectors find, in no particular order; spans may overlap. */
export function findSecretSpans(text: string, options: FindOptions = {}): SecretSpan[] {
  const open = options.openEnded === true;
  const spans: SecretSpan[] = [];
  findPrivateKeys(text, spans);
  findTokenShapes(text, open, spans);
  findUrlPasswords(text, spans);
  findAssignments(text, open, spans);
  findHighEntropyTokens(text, spans);
  return spans;
}

// ---------------------------------------------------------------------------------------------
// Private keys

/** A PEM (or PGP, OpenSSH) private key header; the body follows on the next lines. */
const PRIVATE_KEY_HEADER = /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;

export function hasPrivateKeyHeader(text: string): boolean {
  return text.includes('PRIVATE KEY') && /-----BEGIN[ A-Z0-9]*PRIVATE KEY/.test(text);
}
const PRIVATE_KEY_FOOTER = /-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g;

function findPrivateKeys(text: string, spans: SecretSpan[]): void {
  if (!text.includes('PRIVATE KEY')) return;
  for (const header of text.matchAll(PRIVATE_KEY_HEADER)) {
    const bodyStart = (header.index ?? 0) + header[0].length;
    PRIVATE_KEY_FOOTER.lastIndex = bodyStart;
    const footer = PRIVATE_KEY_FOOTER.exec(text);
    // Without a footer (a cut-off file) the body runs to the first blank line or the end.
    let bodyEnd = footer ? footer.index : text.indexOf('\n\n', bodyStart);
    if (bodyEnd < 0) bodyEnd = text.length;
    let start = bodyStart;
    while (start < bodyEnd && /\s/.test(text[start])) start++;
    while (bodyEnd > start && /\s/.test(text[bodyEnd - 1])) bodyEnd--;
    if (bodyEnd > start && text.slice(start, bodyEnd) !== SECRET_PLACEHOLDER) spans.push({ start, end: bodyEnd, kind: 'private-key' });
  }
}

// ---------------------------------------------------------------------------------------------
// Token shapes

interface TokenShape {
  /** Regular-expression source of the fixed start. */
  prefix: string;
  /** One character of the rest, as a character class. */
  body: string;
  /** Length of the rest in a complete token. */
  min: number;
  max?: number;
  /** An extra test on the whole token, against look-alike words. */
  check?: (token: string) => boolean;
}

const TOKEN_SHAPES: readonly TokenShape[] = [
  // AWS access key IDs (secretlint only looks for them when asked to).
  { prefix: '(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)', body: '[A-Z0-9]', min: 16, max: 16 },
  // GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
  { prefix: 'gh[pousr]_', body: '[A-Za-z0-9]', min: 36 },
  { prefix: 'github_pat_', body: '[A-Za-z0-9_]', min: 22 },
  { prefix: 'xox[abposr]-', body: '[A-Za-z0-9-]', min: 10, check: hasDigit },
  { prefix: '[srp]k_(?:live|test)_', body: '[A-Za-z0-9]', min: 16 },
  // OpenAI, Anthropic and the many keys copied from them (sk-live-…, sk-proj-…, sk-ant-…).
  { prefix: 'sk-', body: '[A-Za-z0-9_-]', min: 20, check: hasDigit },
  { prefix: 'AIza', body: '[A-Za-z0-9_-]', min: 35 },
  { prefix: 'npm_', body: '[A-Za-z0-9]', min: 36 },
  { prefix: 'SG\\.', body: '[A-Za-z0-9_.-]', min: 40 },
  // A JSON web token: base64url header and payload that both start with '{"'.
  { prefix: 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ', body: '[A-Za-z0-9_.-]', min: 16 },
];

/** In open-ended text, this much of a token's body after its prefix is enough to flag it. */
const OPEN_TOKEN_BODY = 6;

const TOKEN_REGEXES = TOKEN_SHAPES.map((s) => ({
  shape: s,
  full: new RegExp(`(?<![A-Za-z0-9_])(?:${s.prefix})${s.body}{${s.min},${s.max ?? ''}}(?!${s.body})`, 'g'),
  open: new RegExp(`(?<![A-Za-z0-9_])(?:${s.prefix})${s.body}{${Math.min(OPEN_TOKEN_BODY, s.min)},}$`, 'g'),
}));

function findTokenShapes(text: string, open: boolean, spans: SecretSpan[]): void {
  for (const { shape, full, open: openRe } of TOKEN_REGEXES) {
    for (const re of open ? [full, openRe] : [full]) {
      for (const m of text.matchAll(re)) {
        if (shape.check && !shape.check(m[0])) continue;
        const start = m.index ?? 0;
        spans.push({ start, end: start + m[0].length, kind: 'token' });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Passwords in URLs

const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"`<>]+:([^\s/@'"`<>]+)@/dgi;

function findUrlPasswords(text: string, spans: SecretSpan[]): void {
  if (!text.includes('://')) return;
  for (const m of text.matchAll(URL_PASSWORD)) {
    const at = m.indices?.[1];
    if (at && !isTrivialValue(m[1])) spans.push({ start: at[0], end: at[1], kind: 'url-password' });
  }
}

// ---------------------------------------------------------------------------------------------
// Secret-named assignments

/**
 * A key whose name ends in a secret word, then `=`, `:`, `:=` or `=>`. The name is checked word by
 * word afterwards (isSecretName), so `bypass` or `tokens` do not count; `==`, `=~`, `::` are not
 * assignments. A name starts after a character that cannot be part of one, so each run of name
 * characters is tried once (no quadratic work on long dotted or dashed runs); `--password=x` counts.
 */
const ASSIGNMENT =
  /(["'`]?)(?<![\w$.-])((?:[A-Za-z_$-][\w$.-]*?)?(?:pass(?:word|wd|phrase)?|pwd|secret|token|key)\d*)\1[ \t]*\??[ \t]*(?::=|=>|=(?![=~>])|:(?![:=]))[ \t]*/gi;

/** Last words of a secret name. */
const SECRET_WORDS = new Set(['password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'token', 'apikey', 'secretkey']);
/** Last two words of a secret name that ends in "key". */
const SECRET_KEY_PAIRS = new Set([
  'api key',
  'access key',
  'secret key',
  'private key',
  'auth key',
  'signing key',
  'encryption key',
  'master key',
  'account key',
]);

/** Whether a key name (`DB_PASSWORD`, `apiKey`, `client-secret`, `auth.token`) names a secret. */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w.replace(/\d+$/, ''))
    .filter((w) => w !== '');
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (SECRET_WORDS.has(last)) return true;
  return words.length >= 2 && SECRET_KEY_PAIRS.has(`${words[words.length - 2]} ${last}`);
}

const QUOTES = '"\'`';
const MIN_VALUE_LENGTH = 4;

function findAssignments(text: string, open: boolean, spans: SecretSpan[]): void {
  for (const m of text.matchAll(ASSIGNMENT)) {
    if (!isSecretName(m[2])) continue;
    const value = valueAt(text, (m.index ?? 0) + m[0].length, open);
    if (value) spans.push({ ...value, kind: 'assignment' });
  }
}

/** The secret value starting at `i`, or undefined when there is none (code, placeholder, empty). */
function valueAt(text: string, i: number, open: boolean): { start: number; end: number } | undefined {
  const c = text[i];
  if (c === undefined || c === '\n') return undefined;
  if (QUOTES.includes(c)) {
    let j = i + 1;
    while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
    const closed = j < text.length && text[j] === c;
    if (!closed && !(open && j >= text.length)) return undefined;
    const end = Math.min(j, text.length);
    const value = text.slice(i + 1, end);
    return isTrivialValue(value) || isTemplate(value) ? undefined : { start: i + 1, end };
  }
  // Unquoted: the first word decides whether it is code; the value is the rest of the line.
  let lineEnd = text.indexOf('\n', i);
  if (lineEnd < 0) lineEnd = text.length;
  let end = i;
  while (end < lineEnd && !QUOTES.includes(text[end])) end++;
  while (end > i && /[\s;,)}\]]/.test(text[end - 1])) end--;
  let wordEnd = i;
  while (wordEnd < end && !/\s/.test(text[wordEnd])) wordEnd++;
  const word = text.slice(i, wordEnd);
  if (isTrivialValue(word) || looksLikeCode(word)) return undefined;
  return end - i >= MIN_VALUE_LENGTH ? { start: i, end } : undefined;
}

const PLACEHOLDER_VALUE =
  /^(?:<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[A-Za-z_]\w*%|%s|\*+|x+|\.{3,}|…|_+|-+|null|none|nil|true|false|undefined|required|optional)$/i;

/**
 * Empty, too short to be a secret, the placeholder itself, a stand-in such as `<your key>`, or
 * just a secret's name (`user:password@host`, `secret: 'secret'`).
 */
function isTrivialValue(value: string): boolean {
  const v = value.trim();
  if (v.length < MIN_VALUE_LENGTH || v.includes(SECRET_PLACEHOLDER) || PLACEHOLDER_VALUE.test(v)) return true;
  return /^[A-Za-z]+$/.test(v) && isSecretName(v);
}

/** A quoted value that only refers to another value: `${env.TOKEN}`, `{{ vault.pw }}`. */
function isTemplate(value: string): boolean {
  return /^\s*(?:\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Za-z_]\w*)\s*$/.test(value);
}

const IDENTIFIER_CHAIN = /^[A-Za-z_$][\w$]*(?:(?:\.|\?\.|::|->)[A-Za-z_$][\w$]*)*/;

/**
 * Whether an unquoted value's first word is code rather than a literal: a call, an index, a member
 * chain (`config.token`), a plain name without digits (`password`, `string`), a hex number, or
 * anything starting with `(`, `[`, `{`, `$`, `!`, `&`, `@`, `*`, `#` or `/` (a regular expression,
 * a path). A name with digits (`hunter2`) or other characters (`hunter2-very-secret`) counts as a
 * literal.
 */
function looksLikeCode(word: string): boolean {
  if (/^[([{$!&@*#/]/.test(word) || /^0[xob][0-9a-f_]+$/i.test(word)) return true;
  const m = IDENTIFIER_CHAIN.exec(word);
  if (!m) return false;
  const rest = word.slice(m[0].length);
  // A call, an index, a generic, a member access, a type annotation.
  if (/^[([<.?!:]/.test(rest)) return true;
  if (rest !== '' && !/^[)\]};,]/.test(rest)) return false;
  // A name alone. `previousToken2`: a variable named like a secret, as transpilers write them.
  return !/\d/.test(m[0]) || /\.|::|->/.test(m[0]) || isSecretName(m[0]);
}

// ---------------------------------------------------------------------------------------------
// High-entropy tokens

/** Runs of base64/base64url characters; '=' only as trailing padding, so `KEY=value` splits. */
const TOKEN_CANDIDATE = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}={0,2}(?![A-Za-z0-9+/_=-])/g;

/** Minimum Shannon entropy, in bits per character, of a token's characters. */
const ENTROPY_THRESHOLD = 3.5;
const MIN_TOKEN_LENGTH = 20;
/** Random text changes case or class every two characters or so; identifiers every four or more. */
const MAX_MEAN_SEGMENT = 3;
const MAX_MEAN_SEGMENT_NO_DIGITS = 2.5;

/** Labels of hashes in lockfiles: SRI `sha512-…`, go.sum `h1:…`, `sha256:…`. Not secrets. */
const HASH_LABEL = /(?:sha(?:1|224|256|384|512)|md5|h1)[-:]$/i;

function findHighEntropyTokens(text: string, spans: SecretSpan[]): void {
  for (const m of text.matchAll(TOKEN_CANDIDATE)) {
    const start = m.index ?? 0;
    if (HASH_LABEL.test(text.slice(Math.max(0, start - 7), start))) continue;
    if (isHighEntropyToken(m[0])) spans.push({ start, end: start + m[0].length, kind: 'high-entropy' });
  }
}

/**
 * Whether a token looks random: 20+ characters (trailing '=' aside), not a hash (hex digits only,
 * as in git object names, UUIDs, lockfile digests), at least two of upper case, lower case and
 * digits, not made of words (a camelCase, snake_case or kebab-case identifier, a path: parts of
 * MAX_MEAN_SEGMENT characters or more on average), and with a character entropy of at least
 * ENTROPY_THRESHOLD bits (random base64 of 20 characters: 3.65 or more in 99 % of cases).
 */
export function isHighEntropyToken(token: string): boolean {
  const t = token.replace(/=+$/, '');
  if (t.length < MIN_TOKEN_LENGTH) return false;
  if (/^[0-9a-f-]+$/i.test(t)) return false;
  if (/^sha(?:1|224|256|384|512)-/i.test(t)) return false;
  const classes = Number(/[A-Z]/.test(t)) + Number(/[a-z]/.test(t)) + Number(/\d/.test(t));
  if (classes < 2) return false;
  // Random text without digits changes case even more often.
  const maxMean = /\d/.test(t) ? MAX_MEAN_SEGMENT : MAX_MEAN_SEGMENT_NO_DIGITS;
  if (isStructuredName(t) || meanSegmentLength(t) >= maxMean) return false;
  return shannonEntropy(t) >= ENTROPY_THRESHOLD;
}

/** Shannon entropy of the characters of `s`, in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = s.length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const SEGMENTS = /[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|\d+/g;

/**
 * Mean length of the token's parts, splitting at case changes, between letters and digits and at
 * punctuation (`completionService2` -> completion, Service, 2: 6). About 1.9 for random base64,
 * 4 to 5 for identifiers and paths.
 */
function meanSegmentLength(t: string): number {
  let parts = 0;
  let chars = 0;
  for (const m of t.matchAll(SEGMENTS)) {
    parts++;
    chars += m[0].length;
  }
  return parts === 0 ? 0 : chars / parts;
}

/** A name part: letters, digits, or letters with a short number (`p1`, `Path2D`, `UWApp1`). */
const NAME_PART = /^(?:[A-Za-z]+|\d+|[A-Za-z]+\d{1,2}[A-Za-z]?)$/;

/** snake_case, kebab-case or a path made of name parts (`Extract_to_0_in_1_95004`, `API/DOMQuad/p1`). */
function isStructuredName(t: string): boolean {
  if (t.includes('+')) return false;
  const parts = t.split(/[_/-]+/).filter((p) => p !== '');
  return parts.length >= 3 && parts.every((p) => NAME_PART.test(p));
}

function hasDigit(s: string): boolean {
  return /\d/.test(s);
}
