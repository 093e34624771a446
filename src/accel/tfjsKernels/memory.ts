/**
 * How our JS kernels reach tensor memory on the backends that keep it JS-visible: 'cpu' (typed
 * arrays) and 'wasm' (the wasm heap). Writing a loop over that memory as one kernel replaces
 * many small tfjs ops, whose per-op overhead dominates at the sizes a char model uses.
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

/** How a kernel reaches its tensors' memory on one backend. */
export interface MemoryAccess {
  /** Allocates every output first: on wasm, a later allocation may move the heap and detach views. */
  allocate(shapes: number[][]): { infos: TensorInfo[]; arrays: Float32Array[] };
  read(t: TensorInfo): Float32Array;
  /** An int32 tensor's values (both backends keep int32 data as an Int32Array). */
  readInt(t: TensorInfo): Int32Array;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

function wasmAccess(backend: WasmBackendLike): MemoryAccess {
  return {
    allocate(shapes) {
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      return { infos, arrays: infos.map((t) => backend.typedArrayFromHeap(t)) };
    },
    read: (t) => backend.typedArrayFromHeap(t),
    readInt: (t) => backend.typedArrayFromHeap(t) as unknown as Int32Array,
  };
}

function cpuAccess(backend: CpuBackendLike): MemoryAccess {
  return {
    allocate(shapes) {
      // makeTensorInfo keeps the array it is given, so filling it afterwards fills the tensor.
      const arrays = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
      return { infos: arrays.map((a, k) => backend.makeTensorInfo(shapes[k], 'float32', a)), arrays };
    },
    read: (t) => backend.data.get(t.dataId).values as Float32Array,
    readInt: (t) => backend.data.get(t.dataId).values as Int32Array,
  };
}

export type JsKernel = (access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => TensorInfo[] | TensorInfo;

/** Registers one kernel for 'cpu' and 'wasm' (once). */
export function registerForJsBackends(kernelName: string, kernel: JsKernel): void {
  const backends: [string, (b: unknown) => MemoryAccess][] = [
    ['cpu', (b) => cpuAccess(b as CpuBackendLike)],
    ['wasm', (b) => wasmAccess(b as WasmBackendLike)],
  ];
  for (const [backendName, access] of backends) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({ kernelName, backendName, kernelFunc: ({ inputs, backend, attrs }) => kernel(access(backend), inputs, attrs ?? {}) });
  }
}

/** True when the active backend has this kernel. */
export function activeBackendHas(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** The wasm backend's heap, for our own wasm code: its memory and where a tensor's data starts. */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  /** Byte offset of a tensor's data in the memory. */
  offset(t: tf.Tensor): number;
  /** A float32 tensor left as the heap held it (tf.fill would write it once more): for buffers our kernels overwrite whole. */
  uninitialized(shape: number[]): tf.Tensor;
}

interface WasmHeapBackendLike extends WasmBackendLike {
  /** The emscripten module; its threaded build exports its (shared) memory. */
  wasm?: { wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
}

/** The active backend's heap when it is wasm with an exported memory, else null. */
export function activeWasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmHeapBackendLike;
  const memory = backend.wasm?.wasmMemory;
  if (!memory) return null;
  return {
    memory,
    offset(t) {
      const entry = backend.dataIdMap.get(t.dataId);
      if (!entry) throw new Error('tensor is not in the wasm heap');
      return entry.memoryOffset;
    },
    uninitialized: (shape) => tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32')),
  };
}
