/** What every reader of a Keras or tfjs-layers file returns: its layers in order and each layer's weights. */
import type { ImportSource } from '../training/checkpoint';
import type { KerasLayer } from './kerasConfig';
import type { FileWeight } from './layerMapping';

export interface ModelFile {
  format: ImportSource['format'];
  kerasVersion?: string;
  layers: KerasLayer[];
  /** A layer's weights in the file's order. */
  weightsOf(layer: KerasLayer): FileWeight[];
}

/** Keras 3 writes "3.x.y"; tfjs-layers "tfjs-layers x.y.z"; Keras 2 "2.x.y". */
export function isKeras3(version: string | undefined): boolean {
  return /^3\./.test(version ?? '');
}

/** float32 values of a file's array (float64 ones converted). */
export function toFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
