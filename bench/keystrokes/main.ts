/**
 * The keystroke benchmark (issue #9): simulated users type held-out files with Charm (through the
 * extension's completion pipeline) and the two anchors (word completion, cache 8-gram) in the same
 * run, on the same files, under the same limits. Run through bench/keystrokes.ts, which bundles
 * this file first (see there). Options: options.ts (USAGE).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharmError } from '../../src/errors';
import { LocalCompletionModel } from '../../src/extension/inference/localModel';
import { readModelSummary } from '../../src/extension/modelStore';
import { DEFAULT_PRESET } from '../../src/model/config';
import { ADAPT_DEFAULTS } from '../../src/training/adaptLimits';
import { DEFAULT_SETTINGS } from '../../src/extension/settings';
import { BENCH_INLINE } from './limits';
import { ensureModel } from './model';
import { BenchOptions, parseOptions, USAGE } from './options';
import { calibrationTable, figuresTable, jsonRows, ratioToAnchor, Row } from './report';
import { addTally, countCodePoints, emptyTally, Suggester, TypedFile, typeFile, USERS } from './simulation';
import { CharmSuggester } from './suggesters/charm';
import { NgramSuggester } from './suggesters/ngram';
import { WordCompletionSuggester } from './suggesters/wordCompletion';
import { DEFAULT_VARIANT } from './variants';
import { readWorkspace, rxjsSources, RXJS_PACKAGE, Split, splitKey, splitWorkspace, writeTrainingFolder } from './workspace';

/** The repository root (this file runs bundled from dist/bench/, or from its source under tsx). */
const ROOT = path.resolve(__dirname, '..', '..');
const CACHE = path.join(ROOT, '.cache', 'bench');

const LANGUAGES: Record<string, string> = {
  '.ts': 'typescript',
  '.tsx': 'typescriptreact',
  '.js': 'javascript',
  '.jsx': 'javascriptreact',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.json': 'json',
  '.md': 'markdown',
  '.py': 'python',
};

function languageOf(rel: string): string {
  return LANGUAGES[path.extname(rel).toLowerCase()] ?? 'plaintext';
}

/** The start of the line nearest the middle of `text` (0 for a single line). */
function halfOf(text: string): number {
  const middle = Math.floor(text.length / 2);
  const nl = text.lastIndexOf('\n', middle);
  return nl < 0 ? 0 : nl + 1;
}

/** The first `n` code points. */
function firstChars(text: string, n: number): string {
  return countCodePoints(text) <= n ? text : Array.from(text).slice(0, n).join('');
}

async function workspaceSplit(o: BenchOptions): Promise<{ split: Split; label: string }> {
  if (o.workspace) {
    const root = path.resolve(o.workspace);
    const files = await readWorkspace(root);
    return { split: splitWorkspace(root, files, { heldOut: o.heldOut, count: o.heldOutCount, seed: o.seed }), label: root };
  }
  const root = rxjsSources(CACHE);
  const files = await readWorkspace(root, (rel) => rel.endsWith('.ts'));
  return { split: splitWorkspace(root, files, { count: o.heldOutCount, seed: o.seed }), label: `${RXJS_PACKAGE} src/` };
}

interface Built {
  suggester: Suggester;
  dispose: () => void;
}

async function buildSuggesters(o: BenchOptions, split: Split, modelDir: string | undefined, trainDir: string): Promise<(() => Promise<Built>)[]> {
  const out: (() => Promise<Built>)[] = [];
  if (o.suggesters.includes('charm') && modelDir) {
    for (const v of [DEFAULT_VARIANT, ...o.variants]) {
      out.push(async () => {
        const { decision, minConfidence, calibration, multiline, maxLength, learnSaved, adapt, fineTuneSteps, fineTuneRate, ...engine } = v.engine;
        const model = await LocalCompletionModel.open({ modelDir, backend: o.backend, corpusPaths: [trainDir], engine });
        // Saved files adapt the LSTM when charm.training.adaptToSavedFiles is on (its default unless the variant says).
        const adapting = adapt ?? DEFAULT_SETTINGS.training.adaptToSavedFiles;
        const scratch = adapting ? fs.mkdtempSync(path.join(os.tmpdir(), 'charm-bench-adapt-')) : undefined;
        return {
          suggester: new CharmSuggester(
            v.name,
            model,
            trainDir,
            { decision, minConfidence, calibration, multiline, maxLength, learnSaved },
            scratch
              ? {
                  steps: fineTuneSteps ?? ADAPT_DEFAULTS.steps,
                  learningRate: fineTuneRate ?? ADAPT_DEFAULTS.learningRate,
                  baseModelDir: modelDir,
                  backend: o.backend,
                  scratch,
                }
              : undefined,
          ),
          dispose: () => {
            model.dispose();
            if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
          },
        };
      });
    }
  }
  if (o.suggesters.includes('word')) {
    out.push(async () => ({ suggester: new WordCompletionSuggester(split.training.map((f) => f.text)), dispose: () => undefined }));
  }
  if (o.suggesters.includes('ngram')) {
    out.push(async () => ({ suggester: new NgramSuggester(split.training.map((f) => f.text).join('\n\n')), dispose: () => undefined }));
  }
  return out;
}

/** A few hundred keystrokes on a training file first, not counted: JIT, wasm and caches warm up. */
async function warmUp(s: Suggester, split: Split): Promise<void> {
  const f = split.training.find((x) => x.text.length >= 400) ?? split.training[0];
  await typeFile(s, 'tab', { doc: 'file:///bench/warm-up', languageId: languageOf(f.rel), text: f.text.slice(0, 300) });
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.help) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const { split, label } = await workspaceSplit(o);
  // The training folder depends on the split only; the model also on what training it had.
  const trainDir = path.join(CACHE, 'train', splitKey(split, []));
  const modelKey = splitKey(split, [DEFAULT_PRESET, String(o.trainSeconds)]);
  writeTrainingFolder(split, trainDir);

  let modelDir: string | undefined;
  if (o.suggesters.includes('charm')) {
    if (o.model) {
      modelDir = path.resolve(o.model);
      if (!readModelSummary(modelDir)) throw new CharmError(`--model: no model in ${modelDir}`);
    } else {
      modelDir = (
        await ensureModel({
          root: ROOT,
          trainDir,
          expectedFiles: split.training.length,
          modelDir: path.join(CACHE, 'models', modelKey),
          preset: DEFAULT_PRESET,
          seconds: o.trainSeconds,
          backend: o.backend,
          retrain: o.retrain,
        })
      ).modelDir;
    }
  }

  const files: (TypedFile & { rel: string })[] = split.heldOut.map((f) => ({
    rel: f.rel,
    doc: '',
    languageId: languageOf(f.rel),
    text: firstChars(f.text, o.chars),
  }));
  const totalChars = files.reduce((n, f) => n + countCodePoints(f.text), 0);
  const trainingChars = split.training.reduce((n, f) => n + f.text.length, 0);
  process.stderr.write(
    `Workspace ${label}: ${split.training.length} training files (${trainingChars.toLocaleString('en-US')} chars); typing ${files.length} held-out files (${totalChars.toLocaleString('en-US')} chars)\n`,
  );

  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  for (const make of await buildSuggesters(o, split, modelDir, trainDir)) {
    const { suggester, dispose } = await make();
    try {
      await warmUp(suggester, split);
      for (const user of USERS) {
        const row: Row = { suggester: suggester.name, user, total: emptyTally(), perFile: [] };
        await suggester.startSession();
        for (const f of files) {
          const t0 = performance.now();
          const doc = `file:///bench/${user}/${f.rel}`;
          // --halves: the file's first half was written and saved before; the user goes on typing it.
          const start = o.halves ? halfOf(f.text) : 0;
          if (start > 0) await suggester.saved({ doc, rel: f.rel, text: f.text.slice(0, start) });
          const tally = await typeFile(suggester, user, { ...f, doc, start });
          // The user saves each file written: what comes next may learn it (as the extension does).
          await suggester.saved({ doc, rel: f.rel, text: f.text });
          addTally(row.total, tally);
          row.perFile.push({ rel: f.rel, tally });
          process.stderr.write(
            `  ${suggester.name} / ${user} / ${f.rel}: ${(100 * (1 - tally.keystrokes / tally.chars)).toFixed(1)} % saved (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
          );
        }
        rows.push(row);
      }
      if (suggester instanceof NgramSuggester) extra.ngramBuildMs = Math.round(suggester.buildMs);
    } finally {
      dispose();
    }
  }

  const summary = modelDir ? readModelSummary(modelDir) : undefined;
  const lines: string[] = [];
  lines.push(`Workspace: ${label}, ${split.training.length} training files (${trainingChars.toLocaleString('en-US')} chars)`);
  lines.push(
    `Held out${o.heldOut ? '' : ` (seed ${o.seed})`}: ${files.map((f) => f.rel).join(', ')}; first ${o.chars.toLocaleString('en-US')} chars of each typed (${totalChars.toLocaleString('en-US')} in all)`,
  );
  if (summary) {
    const p = summary.meta.progress;
    lines.push(
      `Model: ${path.relative(ROOT, summary.dir) || summary.dir} (${summary.meta.model.cell.toUpperCase()} ${summary.meta.model.layers}x${summary.meta.model.units}, step ${p.step}, ${Math.round(p.elapsedSeconds)} s trained, best validation loss ${p.bestValLoss?.toFixed(3) ?? '-'})`,
    );
  }
  lines.push(
    `Settings: the extension's defaults (maxLength ${BENCH_INLINE.maxLength}, one line, minConfidence ${BENCH_INLINE.minConfidence}), debounce 0; anchors held to the same trimming`,
  );
  lines.push('');
  lines.push(figuresTable(rows));
  const anchors = rows.map((r) => r.suggester).filter((n, k, a) => !n.startsWith('charm') && a.indexOf(n) === k);
  const charmNames = rows.map((r) => r.suggester).filter((n, k, a) => n.startsWith('charm') && a.indexOf(n) === k);
  const ratios: Record<string, { anchor: string; ratio: number }> = {};
  for (const c of charmNames) {
    const r = ratioToAnchor(rows, c, anchors);
    if (r) ratios[c] = r;
  }
  if (Object.keys(ratios).length > 0) {
    lines.push('');
    for (const [c, r] of Object.entries(ratios)) lines.push(`Tab-user savings of ${c} / the better anchor's (${r.anchor}): ${r.ratio.toFixed(2)}x`);
  }
  for (const c of charmNames) {
    lines.push('', `Calibration of ${c} (its stated probability of each shown suggestion -> how often it was accepted):`, '');
    lines.push(calibrationTable(rows.filter((r) => r.suggester === c)));
  }
  console.log(lines.join('\n'));
  process.stderr.write(`(${((performance.now() - started) / 1000).toFixed(0)} s in all)\n`);

  if (o.json) {
    const out = path.resolve(o.json);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(
      out,
      JSON.stringify(
        {
          workspace: label,
          seed: o.heldOut ? undefined : o.seed,
          heldOut: files.map((f) => f.rel),
          chars: o.chars,
          typedChars: totalChars,
          trainingFiles: split.training.length,
          trainingChars,
          model: summary ? { dir: summary.dir, progress: summary.meta.progress, config: summary.meta.model } : undefined,
          settings: BENCH_INLINE,
          variants: [DEFAULT_VARIANT, ...o.variants],
          rows: jsonRows(rows),
          ratios,
          ...extra,
        },
        null,
        1,
      ),
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof CharmError ? `bench:keystrokes: ${e.message}` : e);
  process.exit(1);
});
