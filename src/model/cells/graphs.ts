/** The registry of cells' tfjs graphs, beside index.ts's registry of their shapes. */
import { GRU_GRAPH } from './gruGraph';
import type { CellGraph } from './graph';
import type { CellName } from './index';
import { LSTM_GRAPH } from './lstmGraph';

export const CELL_GRAPHS: Readonly<Record<CellName, CellGraph>> = { lstm: LSTM_GRAPH, gru: GRU_GRAPH };
