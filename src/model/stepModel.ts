/**
 * The char model's forward pass for ONE sequence, ONE character at a time, outside tfjs's op graph.
 * Sampling is a chain of single steps (prime once, then one step per character); as tfjs ops each
 * step is a dozen tiny ops whose fixed cost dominates (0.4 ms per character for `small` on wasm,
 * ~60 ms on cpu, on the 2-core dev machine). Here a step is the cell update in
 * plain JavaScript plus ONE vector x matrix product per layer: layer l's new h multiplies
 * [R_l | W_{l+1}] (or [R_L | Dense] for the last layer), giving both its recurrent term for the next
 * step and the next layer's input (or the logits) for this one.
 *
 * Same weights and layout as CharModel (the cell's spec in cells/, e.g. LSTM gates i, f, c, o; GRU
 * z, r, h with reset_after), so the logits match CharModel.advance (checked by the unit tests). A
 * cell whose candidate needs this step's reset gate first (the GRU with reset_after = false) gets
 * only its other gates' recurrent term from the fused product, and a second product for the rest.
 */
import type { ModelConfig } from './config';
import { biasRows, CellSpec, cellSpec, cellStep, CellStep, gateWidth, layerName } from './cells';
import type { MatVec, MatVecFactory } from '../accel';

/** The carried state of one sequence. Plain arrays: copying it is a few microseconds. */
export interface StepState {
  h: Float32Array[];
  /** Only for cells with a c (the LSTM); empty otherwise. */
  c: Float32Array[];
  /** Per layer h R (without bias) of the cell's precomputed gates: the recurrent term of the next step, computed by the fused product. */
  rec: Float32Array[];
  /** Logits of the next symbol; null before anything was fed. */
  logits: Float32Array | null;
}

export function copyState(s: StepState): StepState {
  return { h: s.h.map((a) => a.slice()), c: s.c.map((a) => a.slice()), rec: s.rec.map((a) => a.slice()), logits: s.logits ? s.logits.slice() : null };
}

interface Layer {
  /** Input bias [G*U] (folded into the table for layer 0). */
  inputBias: Float32Array;
  /** The bias' second row [G*U] for two-row biases (GRU reset_after); empty otherwise. */
  recurrentBias: Float32Array;
  /** h x [recurrent kernel's precomputed gates | next layer's kernel or the dense kernel]. */
  fused: MatVec;
  /** v x the recurrent kernel's other columns, for the step; null when all are precomputed. */
  late: MatVec | null;
}

/** What the cell step gets for the c and the recurrent bias of cells without them. */
const NO_CELL_STATE = new Float32Array(0);
const NO_RECURRENT_BIAS = new Float32Array(0);

export class StepModel {
  private readonly cell: CellSpec;
  /** The cell's update, looked up once: the step loop calls it without branching on the cell. */
  private readonly cellStep: CellStep;
  /** Layer 0's input projection per symbol: embedding x kernel + bias, [V, G*U]. */
  private readonly table: Float32Array;
  private readonly layers: Layer[];
  private readonly denseBias: Float32Array;
  private readonly width: number;
  /** Columns of h R the fused product precomputes: the first precomputedGates gates'. */
  private readonly recWidth: number;
  private readonly z: Float32Array;
  private readonly scratch: Float32Array;
  private readonly nextInput: Float32Array;

  /** @param weights every weight of weightSpecs(config), by name, row-major */
  constructor(
    readonly config: ModelConfig,
    weights: ReadonlyMap<string, Float32Array>,
    matVec: MatVecFactory,
  ) {
    const { units, vocabSize, embedding } = config;
    const cell = cellSpec(config.cell);
    this.cell = cell;
    this.cellStep = cellStep(config);
    const width = gateWidth(cell, units);
    this.width = width;
    const recWidth = cell.precomputedGates * units;
    this.recWidth = recWidth;
    const rows = biasRows(cell);
    const get = (name: string, size: number): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new Error(`missing weight ${name}`);
      if (w.length !== size) throw new Error(`weight ${name} has ${w.length} values, expected ${size}`);
      return w;
    };
    const recurrent = (l: number) => get(`${layerName(cell, l)}/recurrent_kernel`, units * width);
    const bias = (l: number) => get(`${layerName(cell, l)}/bias`, rows * width);
    const dense = get('dense/kernel', units * vocabSize);
    this.denseBias = get('dense/bias', vocabSize);

    this.layers = [];
    for (let l = 0; l < config.layers; l++) {
      const last = l === config.layers - 1;
      const next = last ? dense : get(`${layerName(cell, l + 1)}/kernel`, units * width);
      const nextWidth = last ? vocabSize : width;
      const r = recurrent(l);
      this.layers.push({
        inputBias: bias(l).subarray(0, width),
        recurrentBias: rows === 2 ? bias(l).subarray(width, 2 * width) : NO_RECURRENT_BIAS,
        fused: matVec(concatColumns(columns(r, width, 0, recWidth, units), recWidth, next, nextWidth, units), units, recWidth + nextWidth),
        late: recWidth < width ? matVec(columns(r, width, recWidth, width, units), units, width - recWidth) : null,
      });
    }

    const emb = get('embedding/embeddings', vocabSize * embedding);
    const k0 = get(`${layerName(cell, 0)}/kernel`, embedding * width);
    this.table = new Float32Array(vocabSize * width);
    for (let v = 0; v < vocabSize; v++) {
      const row = this.table.subarray(v * width, (v + 1) * width);
      row.set(this.layers[0].inputBias);
      for (let k = 0; k < embedding; k++) {
        const a = emb[v * embedding + k];
        const base = k * width;
        for (let j = 0; j < width; j++) row[j] += a * k0[base + j];
      }
    }
    this.z = new Float32Array(width);
    this.scratch = new Float32Array(width);
    this.nextInput = new Float32Array(Math.max(width, vocabSize));
  }

  zeroState(): StepState {
    const { layers, units } = this.config;
    const make = (n: number) => Array.from({ length: layers }, () => new Float32Array(n));
    return { h: make(units), c: this.cell.hasCellState ? make(units) : [], rec: make(this.recWidth), logits: null };
  }

  /** Feeds one symbol; `state` (including its logits) is updated in place. */
  step(id: number, state: StepState): void {
    const { units, vocabSize } = this.config;
    if (!(id >= 0 && id < vocabSize)) throw new RangeError(`symbol id ${id} outside [0, ${vocabSize})`);
    const width = this.width;
    const z = this.z;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      if (l === 0) {
        z.set(this.table.subarray(id * width, (id + 1) * width));
      } else {
        for (let j = 0; j < width; j++) z[j] = layer.inputBias[j] + this.nextInput[j];
      }
      const rec = state.rec[l];
      this.cellStep(z, rec, layer.recurrentBias, layer.late, this.scratch, state.h[l], this.cell.hasCellState ? state.c[l] : NO_CELL_STATE, units);
      const fused = layer.fused.multiply(state.h[l]);
      rec.set(fused.subarray(0, this.recWidth));
      this.nextInput.set(fused.subarray(this.recWidth));
    }
    const logits = state.logits ?? new Float32Array(vocabSize);
    for (let v = 0; v < vocabSize; v++) logits[v] = this.nextInput[v] + this.denseBias[v];
    state.logits = logits;
  }

  feed(ids: ArrayLike<number>, state: StepState): void {
    for (let k = 0; k < ids.length; k++) this.step(ids[k], state);
  }

  dispose(): void {
    for (const l of this.layers) {
      l.fused.dispose();
      l.late?.dispose();
    }
  }
}

/** Columns [from, to) of a row-major [rows, cols] matrix. */
function columns(m: Float32Array, cols: number, from: number, to: number, rows: number): Float32Array {
  if (from === 0 && to === cols) return m;
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

/** [rows, a | b]: the columns of `a` then those of `b`, row-major. */
function concatColumns(a: Float32Array, aCols: number, b: Float32Array, bCols: number, rows: number): Float32Array {
  const cols = aCols + bCols;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * aCols, (r + 1) * aCols), r * cols);
    out.set(b.subarray(r * bCols, (r + 1) * bCols), r * cols + aCols);
  }
  return out;
}
