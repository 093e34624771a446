/**
 * The trainer process's adaptation job: reads the saved files with the workspace memory's rules
 * (memory.json in the model root; the same check as learnSavedFile, secrets redacted) and runs the
 * engine's adaptModel from the checkpoint completions use now, into `<root>/adapted/`.
 */
import * as fsp from 'node:fs/promises';
import { CharmError } from '../../errors';
import { adaptModel } from '../../training/adapt';
import { savedFileText } from '../inference/workspaceMemory';
import { completionCheckpoint, readMemorySpec } from '../modelStore';
import type { AdaptationRequest, TrainerToHost } from '../protocol';

export async function runAdaptation(job: AdaptationRequest, signal: AbortSignal): Promise<Extract<TrainerToHost, { type: 'adapted' }>> {
  const spec = readMemorySpec(job.root);
  if (!spec) throw new CharmError(`Cannot adapt to saved files: ${job.root} records no workspace files (train on the workspace first)`);
  const from = completionCheckpoint(job.root);
  if (!from) throw new CharmError(`Cannot adapt to saved files: no model in ${job.root}`);
  const texts: { path: string; text: string }[] = [];
  for (const file of job.files) {
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(file);
    } catch {
      continue; // Deleted or renamed since it was saved.
    }
    const read = await savedFileText({ paths: spec.paths, rules: spec.corpus }, file, bytes);
    if (typeof read !== 'string' && read.text.length > 1) texts.push({ path: file, text: read.text });
  }
  const none = { type: 'adapted' as const, files: texts.length, lossBefore: null, lossAfter: null };
  if (texts.length === 0) return { ...none, written: false, reason: 'no-text' };
  const result = await adaptModel({
    from,
    texts,
    out: job.root,
    steps: job.steps,
    learningRate: job.learningRate,
    maxSeconds: job.maxSeconds,
    maxChars: job.maxChars,
    backend: job.backend,
    signal,
    writer: 'the Charm extension (VS Code), adapting to saved files',
  });
  if (signal.aborted && !result.written) return { ...none, written: false, reason: 'interrupted' };
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  return result.written
    ? { ...none, written: true, reason: 'adapted', lossBefore: result.adaptation.lossBefore, lossAfter: result.adaptation.lossAfter }
    : { ...none, written: false, reason: result.reason, lossBefore: finite(result.lossBefore), lossAfter: finite(result.lossAfter) };
}
