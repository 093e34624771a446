/**
 * The registry of recurrent cells: everything outside src/model/cells reads a cell from here (its
 * tfjs graph from graphs.ts). A config chooses a cell and its gates' activation (gates.ts); each
 * cell has one step, made for the activation. A new cell is a module like lstm.ts, a graph like
 * gruGraph.ts, one line in SPECS and one case in graphs.ts.
 */
import { CharmError } from '../../errors';
import { gateFunction, recurrentActivationOf } from './gates';
import { GRU_SPEC } from './gru';
import { GRU_RESET_BEFORE_SPEC } from './gruResetBefore';
import { LSTM_SPEC } from './lstm';
import type { CellSpec, CellStep } from './spec';

export type { CellSpec, CellStep } from './spec';
export { recurrentActivationOf } from './gates';

const SPECS = { lstm: LSTM_SPEC, gru: GRU_SPEC, 'gru-reset-before': GRU_RESET_BEFORE_SPEC };

export type CellName = keyof typeof SPECS;

export const CELLS: Readonly<Record<CellName, CellSpec>> = SPECS;

export const CELL_NAMES = Object.keys(CELLS) as CellName[];

export const DEFAULT_CELL: CellName = 'lstm';

function isCellName(name: string): name is CellName {
  return Object.prototype.hasOwnProperty.call(CELLS, name);
}

/** The spec of a cell by name; bad input (a config file, a flag) gets a one-line error. */
export function cellSpec(name: string): CellSpec {
  if (!isCellName(name)) {
    throw new CharmError(`Unknown cell "${name}": expected ${CELL_NAMES.slice(0, -1).join(', ')} or ${CELL_NAMES[CELL_NAMES.length - 1]}`);
  }
  return CELLS[name];
}

/** What a config names the cell and its gate activation by (ModelConfig's fields; cells/ does not import config.ts). */
interface CellChoice {
  cell: string;
  recurrentActivation?: string;
}

/** StepModel's step for a config: the cell's update with the config's gate activation. */
export function cellStep(config: CellChoice): CellStep {
  return cellSpec(config.cell).makeStep(gateFunction(recurrentActivationOf(config)));
}

/** The cell as `charm info` and the model view name it: "LSTM", "GRU (reset_after=false, hard_sigmoid gates)". */
export function cellLabel(config: CellChoice): string {
  const spec = cellSpec(config.cell);
  const activation = recurrentActivationOf(config);
  const notes = [...(spec.variant ? [spec.variant] : []), ...(activation === 'sigmoid' ? [] : [`${activation} gates`])];
  return notes.length ? `${spec.label} (${notes.join(', ')})` : spec.label;
}

/** Columns of a layer's kernels: G * U. */
export function gateWidth(spec: CellSpec, units: number): number {
  return spec.gates.length * units;
}

/** 1: one bias added to x W; 2: the input bias, then the recurrent bias added to h R (GRU reset_after). */
export function biasRows(spec: CellSpec): number {
  return spec.initialBias.length;
}

/** A layer's bias shape: [G * U], or [rows, G * U] for a bias of several rows. */
export function biasShape(spec: CellSpec, units: number): number[] {
  const width = gateWidth(spec, units);
  return biasRows(spec) === 1 ? [width] : [biasRows(spec), width];
}

/** A layer's initial bias, row-major, in biasShape's layout. */
export function initialBiasValues(spec: CellSpec, units: number): Float32Array {
  const values = new Float32Array(biasRows(spec) * gateWidth(spec, units));
  let k = 0;
  for (const row of spec.initialBias) {
    for (const value of row) values.fill(value, k, (k += units));
  }
  return values;
}

/** Keras' name of a layer (the prefix of its weights' names): lstm, lstm_1, lstm_2, ... */
export function layerName(spec: CellSpec, layer: number): string {
  return layer === 0 ? spec.kerasName : `${spec.kerasName}_${layer}`;
}
