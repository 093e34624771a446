/**
 * What the status bar item says, from the extension's state. Pure: the text always contains
 * "Charm" and one of the states `training N%`, `ready`, `off`, `no model` (plus `loading` and
 * `error` while the completion process starts or after it failed).
 */
import { formatCount, formatDuration, formatLoss } from '../util/format';
import type { ModelState } from './ipc/inferenceClient';

export interface TrainingStatus {
  /** 0..1 of this run's budget. */
  progress: number;
  step: number;
  loss: number | null;
  etaSeconds: number | null;
  stopping: boolean;
}

export interface HostState {
  model: ModelState;
  training?: TrainingStatus;
  inlineEnabled: boolean;
  /** A model chosen with "Use Model…" instead of the workspace's own: its name and where it came from. */
  chosen?: { label: string; about: string };
}

export type StatusKind = 'training' | 'ready' | 'off' | 'no model' | 'loading' | 'error';

export interface StatusView {
  kind: StatusKind;
  text: string;
  tooltip: string;
}

export function statusView(s: HostState): StatusView {
  if (s.training) {
    const t = s.training;
    const pct = Math.floor(Math.min(1, Math.max(0, t.progress)) * 100);
    const lines = [
      t.stopping ? 'Charm: stopping training (saving a checkpoint)…' : 'Charm: training on this workspace in a background process.',
      `Step ${t.step} · loss ${formatLoss(t.loss)}${t.etaSeconds !== null ? ` · ETA ${formatDuration(t.etaSeconds)}` : ''}`,
      s.model.kind === 'ready' ? 'Completions use the best checkpoint so far.' : '',
      'Click for actions.',
    ];
    return { kind: 'training', text: `$(sync~spin) Charm: training ${pct}%`, tooltip: lines.filter(Boolean).join('\n') };
  }
  const chosen = s.chosen ? `Model in use: ${s.chosen.label} (${s.chosen.about}).\n` : '';
  const named = s.chosen ? ` · ${s.chosen.label}` : '';
  switch (s.model.kind) {
    case 'ready': {
      const i = s.model.info;
      const memory = i.memory ? `\nWorkspace memory: ${formatCount(i.memory.files)} files, ${formatCount(i.memory.chars)} characters.` : '';
      const about = i.neural
        ? `Model: step ${i.step}, validation loss ${formatLoss(i.bestValLoss)}, ${formatCount(i.parameters)} parameters${adaptedNote(i.adaptedFiles)}.\nBackend: ${i.backend} (${i.backendDetail}).${memory}`
        : `No checkpoint yet: completing from the workspace memory alone.${memory}`;
      if (!s.inlineEnabled)
        return {
          kind: 'off',
          text: `$(circle-slash) Charm: off${named}`,
          tooltip: `Charm: inline completions are off.\n${chosen}${about}\nClick for actions.`,
        };
      return { kind: 'ready', text: `$(sparkle) Charm: ready${named}`, tooltip: `Charm: ready (backend ${i.backend}).\n${chosen}${about}\nClick for actions.` };
    }
    case 'loading':
    case 'stopped':
      return { kind: 'loading', text: `$(sync~spin) Charm: loading${named}`, tooltip: `Charm: loading the model…${s.chosen ? `\n${chosen.trimEnd()}` : ''}` };
    case 'failed':
      return { kind: 'error', text: '$(warning) Charm: error', tooltip: `Charm: ${s.model.message}\n${chosen}Click for actions.` };
    case 'none':
      return { kind: 'no model', text: '$(circle-outline) Charm: no model', tooltip: 'Charm: no model yet. Click to train one on this workspace.' };
  }
}

/** ", adapted to 3 saved files" when the LSTM in use learned saved files (src/training/adapt.ts). */
function adaptedNote(files: number | undefined): string {
  return files ? `, adapted to ${formatCount(files)} saved file${files === 1 ? '' : 's'}` : '';
}
