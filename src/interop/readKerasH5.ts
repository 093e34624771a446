/**
 * Keras HDF5 models, as `model.save('m.h5')` writes them in Keras 2 / tf.keras (hdf5_format.py)
 * and in Keras 3 (legacy_h5_format.py): the root attribute `model_config` (JSON), and a group
 * `model_weights` whose attribute `layer_names` lists the layers; each layer's group lists its
 * datasets in the attribute `weight_names`, paths inside the group: Keras 2 `lstm/lstm_cell/kernel:0`
 * or `dense/kernel:0`, Keras 3 `.../lstm_cell/kernel`.
 */
import { CharmError } from '../errors';
import { H5Dataset, H5File, H5Group, openH5, quietly, stringAttribute, stringListAttribute } from './h5';
import { parseKerasModelConfig } from './kerasConfig';
import type { FileWeight } from './layerMapping';
import { ModelFile, toFloat32 } from './modelFile';

/** A dataset's values; a damaged one is a CharmError. */
export function readDataset(node: H5Dataset | null, file: string, name: string): FileWeight {
  try {
    const shape = quietly(() => node?.shape);
    const value = quietly(() => node?.value);
    if (!shape || !value || typeof value !== 'object' || !('length' in value)) throw new Error('no data');
    return { name, shape, data: toFloat32(value as ArrayLike<number>) };
  } catch {
    throw new CharmError(`${file}: cannot read the weight ${name} (the file is truncated or corrupted)`);
  }
}

function readH5Model(h5: H5File, file: string): ModelFile {
  const configText = stringAttribute(h5, 'model_config');
  if (!configText) {
    throw new CharmError(`${file} has no model_config: it holds weights only (model.save_weights); save the whole model with model.save('m.h5')`);
  }
  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch {
    throw new CharmError(`${file}: its model_config is not valid JSON`);
  }
  const layers = parseKerasModelConfig(config, file);
  const weightsNode = quietly(() => h5.get('model_weights')) as H5Group | null;
  if (!weightsNode) throw new CharmError(`${file} has no model_weights group: not a Keras model file`);
  const kerasVersion = stringAttribute(h5, 'keras_version') ?? stringAttribute(weightsNode, 'keras_version');
  const cache = new Map<string, FileWeight[]>();
  const weightsOf = (layer: { name: string }): FileWeight[] => {
    const known = cache.get(layer.name);
    if (known) return known;
    const group = quietly(() => weightsNode.get(layer.name)) as H5Group | null;
    const names = group ? stringListAttribute(group, 'weight_names') : [];
    const weights = names.map((name) => readDataset(group && (quietly(() => group.get(name)) as H5Dataset | null), file, name));
    cache.set(layer.name, weights);
    return weights;
  };
  // Read every weight now: the file is closed when this returns.
  for (const layer of layers) weightsOf(layer);
  return { format: 'keras-h5', kerasVersion, layers, weightsOf };
}

export async function readKerasH5(file: string): Promise<ModelFile> {
  const h5 = await openH5(file);
  try {
    return readH5Model(h5, file);
  } catch (error) {
    if (error instanceof CharmError) throw error;
    // h5wasm throws plain errors ("name not defined!") on a damaged file.
    throw new CharmError(`${file} is a damaged HDF5 file (truncated or corrupted): HDF5 cannot read it`);
  } finally {
    quietly(() => h5.close());
  }
}
