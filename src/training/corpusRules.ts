import ignore from 'ignore';
import { CharmError } from '../errors';

/**
 * Base-name patterns (gitignore glob syntax, matched case-insensitively) of files that
 * usually hold credentials. Skipped unless `includeSecrets` is set, so a model trained
 * on a workspace cannot learn to complete someone's keys.
 */
export const DEFAULT_SECRET_PATTERNS: readonly string[] = Object.freeze([
  '.env',
  '.env.*',
  '*.pem',
  '*.key',
  'id_rsa*',
  'id_dsa*',
  'id_ecdsa*',
  'id_ed25519*',
  '*_rsa',
  '*_dsa',
  '*_ecdsa',
  '*_ed25519',
  '*.ppk',
  '*credentials*',
  '*.p12',
  '*.pfx',
  '*.pkcs12',
  '*.p8',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '_netrc',
  '.pgpass',
  '.s3cfg',
  '.dockercfg',
  '*.keystore',
  '*.jks',
  '*.keychain',
  'secrets.*',
  '*.secret',
  '*.secrets',
  '.htpasswd',
  '*.kdbx',
  '*.ovpn',
  '*.tfstate',
  '*.tfstate.*',
]);

/** Folders never walked into: version-control internals and dependency trees. */
export const ALWAYS_SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', '.bzr', '_darcs', 'CVS', '.jj', '.sl', 'node_modules']);

// Git matches case-insensitively exactly where the file system does by default.
const CASE_INSENSITIVE_FS = process.platform === 'win32' || process.platform === 'darwin';

export type NameMatcher = (baseName: string) => boolean;

/** Matches base names against gitignore-style globs, ignoring case. */
export function baseNameMatcher(patterns: readonly string[], what: string): NameMatcher {
  const ig = ignore({ ignorecase: true }).add(checkPatterns(patterns, what));
  return (name) => ig.ignores(name);
}

/** Patterns relative to a walked folder, as in a .gitignore at its top. */
export function pathMatcher(patterns: readonly string[], what: string): (rel: string, isDir: boolean) => boolean {
  const ig = ignore({ ignorecase: CASE_INSENSITIVE_FS }).add(checkPatterns(patterns, what));
  return (rel, isDir) => ig.ignores(isDir ? `${rel}/` : rel);
}

function checkPatterns(patterns: readonly string[], what: string): string[] {
  const list: unknown = patterns; // from settings.json or the command line: anything
  if (!Array.isArray(list)) throw new CharmError(`${what} must be a list of patterns.`);
  const checked: string[] = [];
  for (const p of list as unknown[]) {
    if (typeof p !== 'string') throw new CharmError(`${what} must contain only strings, got ${JSON.stringify(p)}.`);
    checked.push(p);
  }
  return checked;
}

/** The rules of one .gitignore file. */
export interface IgnoreLevel {
  /** Prefix of walk-relative paths that lie under this file's folder ('' or 'a/b/'). */
  readonly strip: string;
  /** Prepended after stripping, for a .gitignore above the walked folder ('' or 'x/y/'). */
  readonly prepend: string;
  /** Tests directories (trailing '/'); it also reports a match inherited from a parent folder. */
  readonly dirs: ignore.Ignore;
  /**
   * The same rules plus a final '!*\/', so no folder counts as ignored and a file's result
   * is its own match only. Git decides each path on its own match and excludes children
   * by not descending; `ignore` would instead let an excluded parent taint the file even
   * when a deeper .gitignore re-included that parent.
   */
  readonly files: ignore.Ignore;
}

export function makeIgnoreLevel(rules: string, strip: string, prepend: string): IgnoreLevel {
  const opts = { ignorecase: CASE_INSENSITIVE_FS };
  return {
    strip,
    prepend,
    dirs: ignore(opts).add(rules),
    files: ignore(opts).add(rules).add('!*/'),
  };
}

/**
 * Whether the .gitignore levels (outermost first) exclude `rel`, a path relative to the
 * walked folder whose parent folders were all entered. Deeper levels win; within one
 * level the last matching rule wins, as in git.
 */
export function isGitIgnored(levels: readonly IgnoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const p = level.prepend + rel.slice(level.strip.length);
    let r: ignore.TestResult;
    if (isDir) {
      const parent = parentOf(p);
      // A parent excluded at this level but entered anyway (re-included deeper, or named
      // explicitly) hides this level's own verdict on folders; it then has no say.
      if (parent !== '' && level.dirs.test(parent).ignored) continue;
      r = level.dirs.test(`${p}/`);
    } else {
      r = level.files.test(p);
    }
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function parentOf(p: string): string {
  const cut = p.lastIndexOf('/');
  return cut < 0 ? '' : p.slice(0, cut + 1);
}
