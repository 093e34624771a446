/**
 * Keras model files written here with h5wasm (and jszip), in the layouts Keras itself writes.
 *
 * Keras 2 / tf.keras `model.save('m.h5')` (tensorflow/python/keras/saving/hdf5_format.py,
 * save_model_to_hdf5 and save_weights_to_hdf5_group):
 *   /                  attrs keras_version ("2.x"), backend, model_config (the model's get_config JSON)
 *   /model_weights     attrs layer_names (every layer, in order), backend, keras_version
 *   /model_weights/<layer>   attr weight_names (w.name of each weight: "dense/kernel:0",
 *                      "lstm/lstm_cell/kernel:0"), one dataset per name at that path inside the group
 * Keras 3 legacy `model.save('m.h5')` (keras/src/legacy/saving/legacy_h5_format.py) keeps the
 * layout; weight_names are the variables' paths without ":0" ("lstm/lstm_cell/kernel"), configs
 * carry "module" and "registered_name", dtypes are policy objects, and InputLayer has batch_shape.
 * Keras 3 `.keras` (keras/src/saving/saving_lib.py): a zip with config.json, metadata.json and
 * model.weights.h5, where weights are stored by position: layers/<snake_case class>[_<n>]/vars/<i>,
 * a recurrent layer's under layers/lstm/cell/vars/<i>, a wrapped one under layers/time_distributed/layer/vars/<i>.
 */
import * as fs from 'node:fs';
import JSZip from 'jszip';
import { loadH5 } from '../../../src/interop/h5';

export interface LayerWeights {
  /** The layer's name in the file. */
  layer: string;
  /** Weight names as the file lists them, and their values. */
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

type H5 = Awaited<ReturnType<typeof loadH5>>;
type Group = InstanceType<H5['Group']>;

/** A list of names as h5py stores Keras' numpy array of bytes: fixed-length strings (dtype S<n>). */
function createNames(node: Group, name: string, list: string[]): void {
  node.create_attribute(name, list, [list.length], `S${Math.max(1, ...list.map((s) => Buffer.byteLength(s)))}`);
}

function groupAt(parent: Group, parts: string[]): Group {
  let node = parent;
  for (const part of parts) node = (node.get(part) as Group | null) ?? node.create_group(part);
  return node;
}

/** An .h5 as Keras 2 or Keras 3's legacy format writes it; `layerNames` lists every layer (weightless ones too). */
export async function writeKerasH5(
  file: string,
  o: { kerasVersion: string; modelConfig: object | null; layerNames: string[]; layers: LayerWeights[] },
): Promise<void> {
  const h5 = await loadH5();
  const f = new h5.File(file, 'w');
  try {
    f.create_attribute('keras_version', o.kerasVersion);
    f.create_attribute('backend', 'tensorflow');
    // null: what model.save_weights writes (no model_config).
    if (o.modelConfig) f.create_attribute('model_config', JSON.stringify(o.modelConfig));
    const root = f.create_group('model_weights');
    createNames(root, 'layer_names', o.layerNames);
    root.create_attribute('keras_version', o.kerasVersion);
    for (const name of o.layerNames) {
      const g = root.create_group(name);
      const layer = o.layers.find((l) => l.layer === name);
      const names = layer ? layer.weights.map((w) => w.name) : [];
      // h5py writes an empty list for a layer without weights (Dropout, InputLayer).
      if (names.length) createNames(g, 'weight_names', names);
      for (const w of layer?.weights ?? []) {
        const parts = w.name.split('/');
        groupAt(g, parts.slice(0, -1)).create_dataset({ name: parts[parts.length - 1], data: w.data, shape: w.shape, dtype: '<f' });
      }
    }
  } finally {
    f.close();
  }
}

/** A Keras 3 .keras archive; `vars` maps each path under layers/ (e.g. "lstm/cell") to its variables in order. */
export async function writeKerasZip(
  file: string,
  o: { config: object; vars: Record<string, { shape: number[]; data: Float32Array }[]>; scratch: string },
): Promise<void> {
  const h5 = await loadH5();
  const f = new h5.File(o.scratch, 'w');
  try {
    const layers = f.create_group('layers');
    for (const [where, values] of Object.entries(o.vars)) {
      const vars = groupAt(layers, [...where.split('/'), 'vars']);
      values.forEach((v, i) => vars.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f' }));
    }
    f.create_group('optimizer').create_group('vars');
  } finally {
    f.close();
  }
  const zip = new JSZip();
  zip.file('metadata.json', JSON.stringify({ keras_version: '3.3.3', date_saved: '2026-01-01@00:00:00' }));
  zip.file('config.json', JSON.stringify(o.config));
  zip.file('model.weights.h5', fs.readFileSync(o.scratch));
  fs.writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer' }));
  fs.rmSync(o.scratch);
}

/** Keras 3's serialized layer: module, class_name, config, registered_name. */
export function keras3Layer(className: string, config: Record<string, unknown>): Record<string, unknown> {
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  return { module: 'keras.layers', class_name: className, config: { trainable: true, dtype: policy, ...config }, registered_name: null };
}
