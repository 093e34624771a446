/**
 * The cells' tfjs graphs, beside index.ts's registry of their shapes: chosen by the cell and its
 * gate activation. The LSTM with the sigmoid takes the tuned path (../lstm.ts, src/accel); the
 * rest are composed of tfjs ops and trained through autodiff.
 */
import { gateOp } from './gateOps';
import { recurrentActivationOf } from './gates';
import type { CellGraph } from './graph';
import { gruGraph } from './gruGraph';
import type { CellName } from './index';
import { LSTM_GRAPH } from './lstmGraph';
import { lstmPlainGraph } from './lstmPlainGraph';

export function cellGraph(config: { cell: CellName; recurrentActivation?: string }): CellGraph {
  const activation = recurrentActivationOf(config);
  const gate = gateOp(activation);
  switch (config.cell) {
    case 'lstm':
      return activation === 'sigmoid' ? LSTM_GRAPH : lstmPlainGraph(gate);
    case 'gru':
      return gruGraph(true, gate);
    case 'gru-reset-before':
      return gruGraph(false, gate);
  }
}
