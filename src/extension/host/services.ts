/** What the commands need from the extension; charm.ts provides it (an interface, so no import cycle). */
import type { InferenceClient } from '../ipc/inferenceClient';
import type { CharmSettings } from '../settings';
import type { ModelView } from './modelView';
import type { TrainingSupervisor } from './trainingSupervisor';
import type { Logger } from './logger';

export interface CharmServices {
  readonly log: Logger;
  readonly inference: InferenceClient;
  readonly training: TrainingSupervisor;
  readonly modelView: ModelView;
  settings(): CharmSettings;
  /** The checkpoint folder of this window's model. */
  modelRoot(): string;
  /** Loads the model on disk into the completion process (or records that there is none). */
  loadModel(): void;
  /** Redraws the status bar and the model view. */
  refresh(): void;
}
