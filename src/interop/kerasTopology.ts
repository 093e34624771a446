/**
 * A Charm model as a Keras 2 Sequential config (what tf.keras 2 writes in model_config and
 * tfjs-layers reads as modelTopology): InputLayer -> Embedding -> LSTM/GRU... -> Dense (logits),
 * with Keras' layer names (lstm, lstm_1, ...) and, per layer, the names tf.keras gives its weights.
 */
import { CharmError } from '../errors';
import type { ModelConfig } from '../model/config';

export const EXPORT_KERAS_VERSION = '2.15.0';

export interface TopologyLayer {
  name: string;
  /** tf.keras 2's weight names, in the layer's weight order (e.g. lstm/lstm_cell/kernel:0). */
  weightNames: string[];
}

export interface KerasTopology {
  modelConfig: Record<string, unknown>;
  /** The layers holding weights, in order (the InputLayer has none). */
  layers: TopologyLayer[];
}

function recurrentClass(config: ModelConfig): { className: 'LSTM' | 'GRU'; resetAfter?: boolean } {
  const cell = String(config.cell);
  if (cell === 'lstm') return { className: 'LSTM' };
  if (cell === 'gru') return { className: 'GRU', resetAfter: true };
  if (cell === 'gru-reset-before') return { className: 'GRU', resetAfter: false };
  throw new CharmError(`A ${cell} model cannot be exported: Keras has no such layer`);
}

export function kerasTopology(config: ModelConfig, target: 'tfjs-layers' | 'keras-h5'): KerasTopology {
  const { className, resetAfter } = recurrentClass(config);
  if (target === 'tfjs-layers' && resetAfter === true) {
    throw new CharmError('A GRU with reset_after (Charm\'s "gru") cannot be exported to tfjs-layers, which has only reset_after false; export it as keras-h5');
  }
  const activation = config.recurrentActivation ?? 'sigmoid';
  if (activation === 'hard_sigmoid_keras3') {
    throw new CharmError("This model uses Keras 3's hard_sigmoid (x / 6 + 0.5), which neither tfjs-layers nor a Keras 2 file can express");
  }
  const lower = className.toLowerCase();
  // tfjs-layers runs every initializer when it builds a model, loading one too: its orthogonal
  // recurrent initializer takes minutes at 1024 units in JavaScript. The weights replace the values.
  const zeros = { class_name: 'Zeros', config: {} };
  const init = (...keys: string[]) => (target === 'tfjs-layers' ? Object.fromEntries(keys.map((k) => [k, zeros])) : {});
  const layers: Record<string, unknown>[] = [
    { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, null], dtype: 'int32', sparse: false, ragged: false } },
    {
      class_name: 'Embedding',
      config: {
        name: 'embedding',
        trainable: true,
        dtype: 'float32',
        input_dim: config.vocabSize,
        output_dim: config.embedding,
        mask_zero: false,
        input_length: null,
      },
    },
  ];
  const weighted: TopologyLayer[] = [{ name: 'embedding', weightNames: ['embedding/embeddings:0'] }];
  for (let k = 0; k < config.layers; k++) {
    const suffix = k === 0 ? '' : `_${k}`;
    const name = `${lower}${suffix}`;
    layers.push({
      class_name: className,
      config: {
        name,
        trainable: true,
        dtype: 'float32',
        return_sequences: true,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
        units: config.units,
        activation: 'tanh',
        recurrent_activation: activation,
        use_bias: true,
        dropout: 0,
        recurrent_dropout: 0,
        ...(className === 'LSTM' ? { unit_forget_bias: true } : {}),
        ...init('kernel_initializer', 'recurrent_initializer', 'bias_initializer'),
        ...(resetAfter !== undefined && target === 'keras-h5' ? { reset_after: resetAfter } : {}),
      },
    });
    const cell = `${name}/${lower}_cell${suffix}`;
    weighted.push({ name, weightNames: [`${cell}/kernel:0`, `${cell}/recurrent_kernel:0`, `${cell}/bias:0`] });
  }
  layers.push({
    class_name: 'Dense',
    config: { name: 'dense', trainable: true, dtype: 'float32', units: config.vocabSize, activation: 'linear', use_bias: true },
  });
  weighted.push({ name: 'dense', weightNames: ['dense/kernel:0', 'dense/bias:0'] });
  return { modelConfig: { class_name: 'Sequential', config: { name: 'charm', layers } }, layers: weighted };
}
