/**
 * npm's failure output in one paragraph a user can act on: npm prints dozens of lines (the failed
 * install script's own output, stack frames, object dumps, the log's path); what matters is which
 * script failed, its error line, and the address it could not fetch.
 */

const PREFIX = /^npm (?:error|ERR!)\s?/;
const MAX_CHARS = 600;

function isNoise(line: string): boolean {
  return (
    line === '' ||
    /^\s+at /.test(line) || // stack frames
    /^\s*[{}^]\s*$/.test(line) || // object dump braces, the caret under a thrown line
    /^\s+\w+: /.test(line) || // object dump fields (errno: -3008, ...)
    /^A complete log of this run/.test(line) ||
    /^Node\.js v\d/.test(line) ||
    /^node:\w+:\d+$/.test(line) ||
    /^\s*throw /.test(line) ||
    /^Emitted '/.test(line) ||
    /^(path|command failed)\b/.test(line)
  );
}

/** npm's output lines, its own prefix removed; unprefixed lines only when npm wrote none with it. */
function npmLines(output: string): string[] {
  const all = output.split(/\r?\n/);
  const prefixed = all.filter((l) => PREFIX.test(l)).map((l) => l.replace(PREFIX, ''));
  return (prefixed.length > 0 ? prefixed : all).map((l) => l.trimEnd());
}

/**
 * One paragraph: what failed, the error lines (at most three), the address being fetched, and
 * that the wasm backend keeps working. `what` names the install, e.g. "npm install x@1".
 */
export function summarizeNpmFailure(what: string, exitCode: number | null, output: string): string {
  const lines = npmLines(output);
  const script = lines.map((l) => /^command (?:sh -c |cmd \/d \/s \/c )?(.+)$/.exec(l)?.[1]).find((s) => s !== undefined && s !== 'failed');
  const code = lines.map((l) => /^code (\S+)$/.exec(l)?.[1]).find((c) => c !== undefined);
  const meaningful = lines.filter((l) => !isNoise(l) && !/^(code|command) /.test(l));
  const errors = [...new Set(meaningful.filter((l) => /error|\bE[A-Z]{3,}\b|failed|not found|denied|\b40[134]\b/i.test(l)).map((l) => l.trim()))];
  const shown = (errors.length > 0 ? errors : meaningful.slice(-3).map((l) => l.trim())).slice(0, 3);
  const url = meaningful.map((l) => /https?:\/\/\S+/.exec(l)?.[0]).find((u) => u !== undefined && !shown.some((s) => s.includes(u)));
  const where = script ? ` in its install script (${script})` : '';
  const status = exitCode === null ? '' : `, exit code ${exitCode}${code && code !== String(exitCode) ? `, ${code}` : ''}`;
  let text = `${what} failed${where}${status}: ${shown.join('; ') || 'npm printed no error'}${url ? ` (while fetching ${url})` : ''}`;
  if (text.length > MAX_CHARS) text = `${text.slice(0, MAX_CHARS - 1)}…`;
  return text;
}
