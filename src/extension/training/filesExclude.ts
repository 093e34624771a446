/**
 * VS Code's `files.exclude` globs as gitignore patterns, the syntax the engine's corpus walker takes
 * (relative to each folder walked). VS Code matches a glob against the path relative to the
 * workspace folder: `**\/x` anywhere, `x` or `a/b` only from the top, `{a,b}` alternatives. gitignore
 * has no braces and matches a slash-less pattern at any depth, hence: braces expanded, patterns
 * not starting with `**\/` anchored with a leading `/`, and gitignore's special characters escaped.
 * Entries set to false are dropped, and so are conditional ones (`{ "when": "$(basename).ts" }`):
 * a sibling condition has no gitignore equivalent, and excluding too much would be wrong.
 */

/** Expands `{a,b}` alternatives, nested ones included: `*.{js,ts}` -> `*.js`, `*.ts`. */
export function expandBraces(glob: string, limit = 256): string[] {
  const open = findOpenBrace(glob);
  if (open < 0) return [glob];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (ch === ',' && depth === 1) commas.push(i);
  }
  // An unbalanced brace is literal text.
  if (close < 0) return [glob];
  const head = glob.slice(0, open);
  const tail = glob.slice(close + 1);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const option = glob.slice(bounds[k] + 1, bounds[k + 1]);
    for (const expanded of expandBraces(head + option + tail, limit)) {
      if (out.length >= limit) return out;
      out.push(expanded);
    }
  }
  return out;
}

function findOpenBrace(glob: string): number {
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') {
      i++;
      continue;
    }
    if (glob[i] === '{') return i;
  }
  return -1;
}

/** One brace-free VS Code glob as a gitignore pattern, or undefined if it cannot apply. */
export function globToGitignore(glob: string): string | undefined {
  let p = glob.replace(/\\/g, '/').trim();
  if (p === '' || p.startsWith('/') || /^[a-zA-Z]:\//.test(p)) return undefined; // absolute paths: not relative to a folder
  p = p.replace(/^\.\//, '');
  if (p === '' || p === '**') return undefined;
  // gitignore reads a leading '#' as a comment and '!' as negation.
  const escaped = p.replace(/^([#!])/, '\\$1');
  return p.startsWith('**/') ? escaped : `/${escaped}`;
}

/** The `files.exclude` object (glob -> true | false | { when }) as gitignore patterns. */
export function filesExcludeToGitignore(filesExclude: unknown): string[] {
  if (typeof filesExclude !== 'object' || filesExclude === null) return [];
  const out = new Set<string>();
  for (const [glob, value] of Object.entries(filesExclude as Record<string, unknown>)) {
    if (value !== true) continue;
    for (const g of expandBraces(glob)) {
      const pattern = globToGitignore(g);
      if (pattern) out.add(pattern);
    }
  }
  return [...out];
}
