/**
 * The words of the model view: the subtitle, the training line and the rows of the two tables,
 * from a ModelReport. Pure (no DOM), so it is tested in Node; webview.ts puts the strings on the
 * page as text.
 */
import type { ModelReport } from '../modelReport';
import { formatBytes, formatCount, formatDuration, formatLoss } from '../../util/format';

export type Row = [label: string, value: string];

export function subtitle(r: ModelReport): string {
  if (!r.model) return 'No model yet: run "Charm: Train on Workspace".';
  const inf = r.inference.state === 'ready' ? `completing with the ${r.inference.backend} backend` : `completion process: ${r.inference.state}`;
  return `${r.model.cell} ${r.model.layers}×${r.model.units} · ${formatCount(r.model.parameters)} parameters · ${inf}`;
}

/** The line above the chart while a training run goes, else undefined. */
export function trainingLine(r: ModelReport): string | undefined {
  const t = r.training;
  if (!t) return undefined;
  const pct = Math.floor(Math.min(1, Math.max(0, t.progress)) * 100);
  return `Training: ${pct}% · step ${t.step} · loss ${formatLoss(t.loss)}` + (t.etaSeconds !== null ? ` · ETA ${formatDuration(t.etaSeconds)}` : '');
}

export function modelRows(r: ModelReport): Row[] {
  const m = r.model;
  const p = r.progress;
  if (!m || !p) return [['Model', 'none']];
  const u = r.inUse;
  return [
    ...(u ? [inUseRow(u)] : []),
    ['Folder', m.checkpoint],
    ['Cell', `${m.cell}, ${m.layers} layer${m.layers > 1 ? 's' : ''} of ${m.units} units`],
    ['Embedding', String(m.embedding)],
    ['Vocabulary', `${m.vocabSize} symbols`],
    ['Parameters', formatCount(m.parameters)],
    ['Size', `${formatBytes(m.weightBytes)} weights, ${formatBytes(m.totalBytes)} on disk`],
    ['Steps', `${formatCount(p.step)} (epoch ${p.epoch})`],
    ['Best validation loss', p.bestValLoss === null ? '-' : `${formatLoss(p.bestValLoss)} nats/char at step ${p.bestStep}`],
    ['Training time', formatDuration(p.elapsedSeconds)],
    ['Trained with', `${p.trainedOn} backend${p.seqLength ? `, seq ${p.seqLength}, batch ${p.batchSize}, lr ${p.learningRate}` : ''}`],
    ['Completes with', r.inference.state === 'ready' ? `${r.inference.backend} (${r.inference.detail})` : r.inference.message || r.inference.state],
    ['Saved', new Date(p.savedAt).toLocaleString()],
    ...(r.adaptation ? [adaptationRow(r.adaptation)] : []),
  ];
}

function adaptationRow(a: NonNullable<ModelReport['adaptation']>): Row {
  const files = `${formatCount(a.files)} saved file${a.files === 1 ? '' : 's'}`;
  return ['Adapted', `to ${files} (${formatCount(a.steps)} steps; loss on them ${formatLoss(a.lossBefore)} → ${formatLoss(a.lossAfter)} nats/char)`];
}

function inUseRow(u: NonNullable<ModelReport['inUse']>): Row {
  const what = u.chosen ? `${u.label}, chosen with "Use Model…"` : "this workspace's own";
  return ['Model in use', u.about ? `${what}; ${u.about}` : what];
}

export function corpusRows(r: ModelReport): Row[] {
  const c = r.corpus;
  if (!c) return [['Corpus', '-']];
  return [
    ['Files', formatCount(c.files)],
    ['Characters', formatCount(c.chars)],
    ['Training / validation', `${formatCount(c.trainChars)} / ${formatCount(c.valChars)}`],
    ['Unknown characters', formatCount(c.unknownChars)],
    ['Sources', c.sources.join('\n')],
  ];
}

export function sampleCaption(temperature: number): string {
  return temperature === 0 ? 'temperature 0 (most likely)' : `temperature ${temperature}`;
}

/** Shown instead of a sample of blanks only (a young model at a low temperature), which would look like an empty box. */
export function blankSampleNote(prime: string): string {
  return `${prime ? '\n' : ''}(only blank characters: the model is not sure enough of anything else yet)`;
}
