/**
 * `charm complete --model DIR`: the extension's completion pipeline over stdio, JSON lines, for
 * other editors and outside benchmarks. Each request goes through completionInputFrom and
 * CompletionService exactly as in VS Code (same trimming, caches, per-document state), with the
 * inline settings as flags.
 */
import * as fs from 'node:fs';
import { BACKEND_FLAG, requireModel } from './inspect';
import { FlagSpec, FlagValues, flagBool, flagNumber, flagString, flagStrings } from './args';
import { parseRequestLine } from './completeRequest';
import { MAX_LINE_BYTES, serveJsonLines } from './jsonLinesServer';
import type { SplitLine } from './lineSplitter';
import { CharmError } from '../errors';
import type { BackendChoice } from '../accel';
import { NEVER_CANCELLED } from '../extension/completion/cancellation';
import { CompletionService } from '../extension/completion/completionService';
import { BEFORE_CHARS, completionInputFrom } from '../extension/completion/input';
import type { LanguageMap } from '../extension/completion/languages';
import { LocalCompletionModel } from '../extension/inference/localModel';
import { DEFAULT_SETTINGS, InlineSettings, RANGES } from '../extension/settings';

/**
 * A stdio client asks once per request and waits for the reply, so the editor's debounce would
 * only add latency.
 */
export const COMPLETE_DEBOUNCE_MS = 0;

export const COMPLETE_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string' },
  corpus: { kind: 'strings' },
  backend: BACKEND_FLAG,
  'max-length': { kind: 'int' },
  multiline: { kind: 'boolean' },
  'min-confidence': { kind: 'number' },
  temperature: { kind: 'number' },
  'context-chars': { kind: 'int' },
  'debounce-ms': { kind: 'int' },
  languages: { kind: 'string' },
  'no-learn-saved': { kind: 'boolean' },
};

/** The inline settings the flags give: the extension's defaults, the same ranges. */
export function completeSettings(flags: FlagValues): InlineSettings {
  const d = DEFAULT_SETTINGS.inline;
  const ranged = (flag: string, key: keyof typeof RANGES, fallback: number): number => {
    const value = flagNumber(flags, flag);
    if (value === undefined) return fallback;
    const [min, max] = RANGES[key];
    if (!(value >= min && value <= max)) throw new CharmError(`--${flag} must be from ${min} to ${max}, got ${value}`);
    return value;
  };
  return {
    enabled: true,
    languages: languagesFlag(flagString(flags, 'languages')) ?? d.languages,
    maxLength: ranged('max-length', 'inlineCompletions.maxLength', d.maxLength),
    multiline: flagBool(flags, 'multiline') || d.multiline,
    debounceMs: ranged('debounce-ms', 'inlineCompletions.debounceMs', COMPLETE_DEBOUNCE_MS),
    minConfidence: ranged('min-confidence', 'inlineCompletions.minConfidence', d.minConfidence),
    temperature: ranged('temperature', 'inlineCompletions.temperature', d.temperature),
    contextChars: ranged('context-chars', 'inlineCompletions.contextChars', d.contextChars),
    learnFromSavedFiles: !flagBool(flags, 'no-learn-saved') && d.learnFromSavedFiles,
  };
}

function languagesFlag(raw: string | undefined): LanguageMap | undefined {
  if (raw === undefined) return undefined;
  const usage = `--languages expects a JSON object from language id to true or false, e.g. '{"*":true,"markdown":false}'`;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new CharmError(`${usage}; got ${JSON.stringify(raw)}, which is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CharmError(`${usage}; got ${raw}`);
  const bad = Object.entries(value).find(([, on]) => typeof on !== 'boolean');
  if (bad) throw new CharmError(`${usage}; "${bad[0]}" is ${JSON.stringify(bad[1])}`);
  return value as LanguageMap;
}

export async function completeCommand(flags: FlagValues, signal: AbortSignal): Promise<void> {
  const settings = completeSettings(flags);
  const modelDir = requireModel(flags);
  const corpusPaths = flagStrings(flags, 'corpus');
  for (const p of corpusPaths) if (!fs.existsSync(p)) throw new CharmError(`--corpus: no such file or folder: ${p}`);
  const model = await LocalCompletionModel.open({
    modelDir,
    backend: (flagString(flags, 'backend') ?? 'auto') as BackendChoice,
    corpusPaths: corpusPaths.length > 0 ? corpusPaths : undefined,
  });
  try {
    const service = new CompletionService(model, () => settings);
    if (process.stdin.isTTY) process.stderr.write('charm complete: ready; one JSON request per line (see charm --help), Ctrl-D ends\n');
    await serveJsonLines(process.stdin, process.stdout, (line) => answer(service, model, settings, line), signal);
  } finally {
    model.dispose();
  }
}

async function answer(service: CompletionService, model: LocalCompletionModel, settings: InlineSettings, line: SplitLine): Promise<Record<string, unknown>> {
  if (line.kind === 'tooLong') {
    return { id: null, error: `line too long: ${line.bytes} bytes, at most ${MAX_LINE_BYTES} (the last ${BEFORE_CHARS} characters before the cursor suffice)` };
  }
  const request = parseRequestLine(line.text);
  switch (request.kind) {
    case 'error':
      return { id: request.id, error: request.message };
    case 'forget':
      // As the extension does when a document closes: the service's caches and the engine's states.
      service.forget(request.doc);
      model.forget(request.doc);
      return { id: request.id, ok: true };
    case 'saved': {
      // As the extension does on save: the workspace memory reads the file with its corpus rules.
      if (!settings.learnFromSavedFiles) return { id: request.id, ok: true, learned: 'off' };
      let bytes: Buffer;
      try {
        bytes = await fs.promises.readFile(request.file);
      } catch (error) {
        return { id: request.id, error: `cannot read ${request.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
      }
      const outcome = await model.learnSavedFile(request.file, bytes);
      return { id: request.id, ok: true, learned: outcome ?? 'no workspace memory (give --corpus)' };
    }
    case 'complete': {
      const started = performance.now();
      try {
        const outcome = await service.provide(completionInputFrom(request.cursor), NEVER_CANCELLED);
        const ms = round(performance.now() - started);
        if (outcome.kind === 'suggestion') {
          return { id: request.id, text: outcome.text, ms, ...(outcome.confidence !== undefined ? { p: round(outcome.confidence) } : {}) };
        }
        // Why nothing shows is the first question a client's author asks.
        return { id: request.id, text: '', ms, why: outcome.why };
      } catch (error) {
        return { id: request.id, error: `internal error: ${(error as Error)?.message ?? String(error)}` };
      }
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
