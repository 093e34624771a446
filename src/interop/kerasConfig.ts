/**
 * Keras model configs (the `model_config` attribute of an .h5, config.json of a .keras, the
 * modelTopology of a tfjs-layers model.json) as a list of layers in order. Sequential models, and
 * Functional ones (`Model` in Keras 2, `Functional` in Keras 3) whose layers form one linear chain;
 * Keras 2 (`class_name` + `config`) and Keras 3 (also `module`, `registered_name`) shapes.
 */
import { CharmError } from '../errors';

export interface KerasLayer {
  /** The layer's class, e.g. LSTM; for TimeDistributed(Dense) the inner class, Dense. */
  className: string;
  /** The layer's name in the file: its weights are found under it. */
  name: string;
  config: Record<string, unknown>;
  /** Set for a layer wrapped in TimeDistributed (its weights are still under `name`). */
  wrapper?: 'TimeDistributed';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The layers of a model config, in order; `file` names the file in errors. */
export function parseKerasModelConfig(json: unknown, file: string): KerasLayer[] {
  const bad = (why: string): never => {
    throw new CharmError(`${file}: unreadable model config: ${why}`);
  };
  // tfjs-layers' modelTopology may wrap the config with its training config.
  const model = isObject(json) && isObject(json.model_config) ? json.model_config : json;
  if (!isObject(model)) return bad('expected a JSON object');
  const className = model.class_name;
  const config = model.config;
  let entries: unknown[];
  if (className === 'Sequential') {
    // Keras 2.0-2.2 wrote a Sequential config as the list of layers itself.
    const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    entries = Array.isArray(list) ? list : bad('a Sequential model without a list of layers');
  } else if (className === 'Model' || className === 'Functional') {
    entries = isObject(config) && Array.isArray(config.layers) ? config.layers : bad('a Functional model without a list of layers');
    checkLinearChain(entries, file);
  } else {
    return bad(`the model is a ${String(className)}; Charm imports Sequential models and Functional models that are one chain of layers`);
  }
  return entries.map((entry, index) => toLayer(entry, index, file));
}

function toLayer(entry: unknown, index: number, file: string): KerasLayer {
  if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) {
    throw new CharmError(`${file}: unreadable model config: layer ${index} has no class_name and config`);
  }
  const name = typeof entry.name === 'string' ? entry.name : typeof entry.config.name === 'string' ? entry.config.name : `layer_${index}`;
  if (entry.class_name === 'TimeDistributed') {
    const inner = entry.config.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) {
      throw new CharmError(`${file}: unreadable model config: TimeDistributed layer "${name}" wraps no layer`);
    }
    return { className: inner.class_name, name, config: inner.config, wrapper: 'TimeDistributed' };
  }
  return { className: entry.class_name, name, config: entry.config };
}

/** The names of the layers feeding a Functional layer, from Keras 2's or Keras 3's inbound_nodes. */
function inboundNames(nodes: unknown): string[] {
  const names: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      // Keras 2: [layer_name, node_index, tensor_index, kwargs]
      if (typeof value[0] === 'string' && typeof value[1] === 'number') {
        names.push(value[0]);
        return;
      }
      value.forEach(walk);
    } else if (isObject(value)) {
      // Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [layer_name, 0, 0]}}
      if (Array.isArray(value.keras_history) && typeof value.keras_history[0] === 'string') {
        names.push(value.keras_history[0]);
        return;
      }
      Object.values(value).forEach(walk);
    }
  };
  walk(nodes);
  return names;
}

function checkLinearChain(entries: unknown[], file: string): void {
  entries.forEach((entry, index) => {
    const layer = entry as Json;
    const inbound = inboundNames(layer.inbound_nodes);
    const previous = index > 0 ? (entries[index - 1] as Json) : undefined;
    const previousName = previous ? (previous.name ?? (previous.config as Json | undefined)?.name) : undefined;
    const linear = index === 0 ? inbound.length === 0 : inbound.length === 1 && inbound[0] === previousName;
    if (!linear) {
      throw new CharmError(
        `${file}: layer "${String(layer.name)}" does not simply follow the previous layer; Charm imports models that are one chain of layers (Embedding -> recurrent layers -> Dense)`,
      );
    }
  });
}
