/** What the commands need from the extension; charm.ts provides it (an interface, so no import cycle). */
import type { ImportRequest } from '../../interop/importModel';
import type { ImportSummary } from '../protocol';
import type { InferenceClient } from '../ipc/inferenceClient';
import type { ModelChoice } from '../modelChoice';
import type { CharmSettings } from '../settings';
import type { ModelView } from './modelView';
import type { TrainingSupervisor } from './trainingSupervisor';
import type { AdaptScheduler } from '../training/adaptScheduler';
import type { Logger } from './logger';

export interface CharmServices {
  readonly log: Logger;
  readonly inference: InferenceClient;
  readonly training: TrainingSupervisor;
  readonly modelView: ModelView;
  /** The background adaptation of the LSTM to saved files (stopped before a training starts). */
  readonly adaptation: AdaptScheduler;
  settings(): CharmSettings;
  /** The checkpoint folder of this window's own model (training writes here). */
  modelRoot(): string;
  /** Where "Use Model…" imports model files to. */
  importsRoot(): string;
  /** Where "Install Native Backend" installs tfjs-node to (the child processes load it from there). */
  nativeFolder(): string;
  /** The model chosen with "Use Model…" for this workspace, if any (else its own completes). */
  chosenModel(): ModelChoice | undefined;
  /** Remembers the choice for the workspace (undefined: back to its own model) and loads it. */
  chooseModel(choice: ModelChoice | undefined): Promise<void>;
  /** Imports a model file in a separate process (tfjs never loads on the host). */
  importModel(request: ImportRequest, signal?: AbortSignal): Promise<ImportSummary>;
  /** Loads the model in use into the completion process (or records that there is none). */
  loadModel(): void;
  /** Redraws the status bar and the model view. */
  refresh(): void;
}
