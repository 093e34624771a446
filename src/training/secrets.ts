/**
 * Secrets inside ordinary files: each file's text is scanned with secretlint's recommended rules
 * and with the cheap detectors of secretPatterns.ts, and every secret found is replaced by
 * SECRET_PLACEHOLDER before training, so a model cannot learn it and recite it. Key names stay
 * (`password = <secret>`): the model learns that a value goes there, never which.
 */
import type { MarkOptions as PerformanceMarkOptions } from 'node:perf_hooks';
import type { lintSource as LintSource } from '@secretlint/core';
import { SECRET_PLACEHOLDER, SecretSpan, findSecretSpans } from './secretPatterns';

export interface Redaction {
  text: string;
  /** Secrets replaced. */
  count: number;
}

type LintOptions = Parameters<typeof LintSource>[0];
type LintMessage = Awaited<ReturnType<typeof LintSource>>['messages'][number];

interface Scanner {
  lintSource: typeof LintSource;
  config: LintOptions['options']['config'];
}

let scanner: Promise<Scanner> | undefined;

/** secretlint is loaded on first use: about 1 MB of rules that only training needs. */
function loadScanner(): Promise<Scanner> {
  scanner ??= (async () => {
    silenceSecretlintProfiler();
    const [{ lintSource }, { creator }] = await Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]);
    const config: Scanner['config'] = {
      rules: [
        {
          id: '@secretlint/secretlint-rule-preset-recommend',
          rule: creator,
          // AWS access key IDs are off by default in secretlint; they identify an account's key.
          rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
        },
      ],
    };
    return { lintSource, config };
  })();
  return scanner;
}

/**
 * secretlint 11 profiles every call whether asked or not: it records performance marks named
 * `@core>…` and, for each new one, scans all earlier ones, so 3,000 small files took 75 s instead
 * of one (secretlint issues #1633 and #1653, fixed in version 13). Its profiler singleton is
 * private to @secretlint/core (a nested copy, bundled by esbuild), so the marks are dropped where
 * they are made: Node's performance.mark ignores names of that prefix, which nothing else uses.
 */
function silenceSecretlintProfiler(): void {
  const original = performance.mark.bind(performance);
  // What a dropped call returns (secretlint ignores it): one real mark, taken off the timeline.
  const dropped = original('@charm>secretlint-mark');
  performance.clearMarks(dropped.name);
  performance.mark = (name: string, options?: PerformanceMarkOptions) => (name.startsWith('@core>') ? dropped : original(name, options));
}

/** Replaces every secret in `text` (the content of `filePath`) by SECRET_PLACEHOLDER. */
export async function redactSecrets(text: string, filePath: string): Promise<Redaction> {
  const own = findSecretSpans(text);
  const found = await secretlintSpans(text, filePath);
  const spans = mergeSpans(own, found);
  if (spans.length === 0) return { text, count: 0 };
  const parts: string[] = [];
  let at = 0;
  for (const s of spans) {
    parts.push(text.slice(at, s.start), SECRET_PLACEHOLDER);
    at = s.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), count: spans.length };
}

type Span = Pick<SecretSpan, 'start' | 'end'>;

async function secretlintSpans(text: string, filePath: string): Promise<Span[]> {
  const { lintSource, config } = await loadScanner();
  let messages: LintMessage[];
  try {
    const result = await lintSource({ source: { filePath, content: text, contentType: 'text' }, options: { config } });
    messages = result.messages;
  } catch {
    // A rule failing on odd input must not stop training; the cheap detectors still ran.
    return [];
  }
  // A find around a placeholder is a secret replaced already (`postgres://u:<secret>@host`).
  return messages.map((m) => locate(text, m)).filter((s) => !text.slice(s.start, s.end).includes(SECRET_PLACEHOLDER));
}

/**
 * Where a secretlint finding really is. Some rules report a range that starts at the key name
 * but has the secret's length (aws-secret-access-key), so the secret itself, given in the
 * message's data, is looked up next to the range; the range is used when it cannot be found.
 */
function locate(text: string, m: LintMessage): Span {
  const [start, end] = m.range;
  const data: object = m.data ?? {};
  for (const value of Object.values(data)) {
    if (typeof value !== 'string' || value.length < 8) continue;
    const from = Math.max(0, start - value.length);
    const at = text.indexOf(value, from);
    if (at >= 0 && at < Math.max(end, start + 1) && at + value.length > start) return { start: at, end: at + value.length };
  }
  return { start, end };
}

/**
 * One list of disjoint spans, in order. A secretlint span that contains spans of the cheap
 * detectors gives way to them: they are narrower (the password of a connection string, the body
 * of a key without its BEGIN and END lines). Overlapping spans are joined.
 */
function mergeSpans(own: readonly Span[], found: readonly Span[]): Span[] {
  const all: Span[] = own.filter((s) => s.end > s.start).map((s) => ({ start: s.start, end: s.end }));
  for (const f of found) {
    if (f.end <= f.start) continue;
    if (!own.some((o) => o.start >= f.start && o.end <= f.end)) all.push(f);
  }
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const s of all) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}
