/**
 * Kernel fixes for the tfjs wasm backend (tfjs-backend-wasm 4.22.0).
 *
 * 1. `UnsortedSegmentSum` is not registered for wasm, so the gradient of tf.gather (and therefore
 *    of an Embedding layer) fails there. We register a scatter-add written in JS over the wasm heap.
 * 2. The wasm matmul only takes its fast XNNPACK path when neither operand is transposed (and the
 *    batch is 1); the transposed variants, which every backward pass uses, fall back to a naive
 *    loop that is 10-40x slower. We re-register `BatchMatMul` and `_FusedMatMul` so that a
 *    transposed operand is first transposed explicitly (wasm `Transpose` kernel), then the stock
 *    kernel runs with no transposes.
 * 3. The XNNPACK path caches its operator per `b` tensor id, but reshaped tensors share ids: the
 *    same data used as `b` under another [K, N] crashes the stock kernel. Such uses get a copy.
 * 4. The stock `_FusedMatMul` is WRONG on its slow path (batched or transposed operands) when the
 *    shared dimension exceeds 48 and there is a bias or a relu/relu6: it adds the bias once per
 *    48-wide block and clamps partial sums. The patched kernel avoids that path or runs such cases
 *    unfused (matmul, Add, activation).
 * 5. The stock `Slice` copies its WHOLE input out of the heap (readSync) before taking the slice:
 *    slicing a few rows of the LSTM's [T*B, U] buffers cost as much as copying all of them. The
 *    patched kernel copies a contiguous float32/int32 slice straight from heap to heap.
 * 6. The stock `Identity` (tf.clone) copies the data. tf.customGrad clones every tensor the
 *    forward pass saves, so the LSTM's saved activations (the seed model's largest buffers) briefly
 *    existed twice. Like the cpu backend's, the patched kernel shares the data (reference counted).
 *
 * `registerWasmKernelFixes()` is idempotent; it is called by the backend layer when wasm is chosen.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelFunc;
type NamedAttrMap = tf.NamedAttrMap;

const WASM = 'wasm';

let registered = false;
/** Above 0 while withStockMatMuls runs. */
let stockMatMulCalls = 0;
/** Stock wasm kernel functions, captured before re-registering. */
let stockBatchMatMul: KernelFunc | undefined;
let stockFusedMatMul: KernelFunc | undefined;
let stockTranspose: KernelFunc | undefined;
let stockSlice: KernelFunc | undefined;

/**
 * Runs `fn` (synchronously) with the stock matmul kernels instead of the transposed-matmul fix,
 * for benchmarks and tests that compare the two; the fix is back on when it returns or throws.
 */
export function withStockMatMuls<T>(fn: () => T): T {
  stockMatMulCalls++;
  try {
    return fn();
  } finally {
    stockMatMulCalls--;
  }
}

/** Registers UnsortedSegmentSum and the transposed-matmul fix for 'wasm'. Safe to call twice. */
export function registerWasmKernelFixes(): void {
  if (registered) return;

  stockTranspose = tf.getKernel(tf.Transpose, WASM)?.kernelFunc;
  const batchMatMul = tf.getKernel(tf.BatchMatMul, WASM);
  const fusedMatMul = tf.getKernel(tf._FusedMatMul, WASM);
  if (stockTranspose == null || batchMatMul == null || fusedMatMul == null) {
    throw new Error('tfjs-backend-wasm kernels (Transpose, BatchMatMul, _FusedMatMul) are not registered');
  }

  if (tf.getKernel(tf.UnsortedSegmentSum, WASM) == null) {
    tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: WASM, kernelFunc: unsortedSegmentSum as unknown as KernelFunc });
  }

  stockBatchMatMul = batchMatMul.kernelFunc;
  stockFusedMatMul = fusedMatMul.kernelFunc;
  // Keep the stock setupFunc: it binds the C++ entry point the stock kernelFunc calls.
  tf.unregisterKernel(tf.BatchMatMul, WASM);
  tf.registerKernel({ ...batchMatMul, kernelFunc: patchedBatchMatMul as unknown as KernelFunc });
  tf.unregisterKernel(tf._FusedMatMul, WASM);
  tf.registerKernel({ ...fusedMatMul, kernelFunc: patchedFusedMatMul as unknown as KernelFunc });
  const slice = tf.getKernel(tf.Slice, WASM);
  if (slice) {
    stockSlice = slice.kernelFunc;
    tf.unregisterKernel(tf.Slice, WASM);
    tf.registerKernel({ ...slice, kernelFunc: patchedSlice as unknown as KernelFunc });
  }
  const identity = tf.getKernel(tf.Identity, WASM);
  if (identity) {
    tf.unregisterKernel(tf.Identity, WASM);
    tf.registerKernel({ ...identity, kernelFunc: sharedIdentity as unknown as KernelFunc });
  }

  registered = true;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum

function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const numSegments = Number(attrs?.numSegments);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 data, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm needs int32 segment ids, got ${segmentIds.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  for (let i = 0; i < idsRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`);
    }
  }
  const innerShape = x.shape.slice(idsRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const outShape = [numSegments, ...innerShape];

  // Allocate first: malloc may grow the wasm memory, which would detach earlier heap views.
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  outVals.fill(0);
  const numIds = ids.length;
  for (let i = 0; i < numIds; i++) {
    const s = ids[i];
    // Like TensorFlow, ids outside [0, numSegments) are dropped.
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Identity

/** A copy of x's data under a new id (Identity no longer copies). */
function heapCopy(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const out = backend.makeOutput(x.shape, x.dtype);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x));
  return out;
}

function sharedIdentity(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

// ---------------------------------------------------------------------------------------------
// Slice

function patchedSlice(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs?.begin as number[], attrs?.size as number[]);
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    return (stockSlice as KernelFunc)(args) as TensorInfo;
  }
  const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
  // Allocate first: malloc may grow the wasm memory, which would detach earlier heap views.
  const out = backend.makeOutput(size, x.dtype);
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  outVals.set(xVals.subarray(offset, offset + outVals.length));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transposed matmuls

/** Transposes the last two axes with the wasm Transpose kernel. The caller disposes the result. */
function transposeLastTwo(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return (stockTranspose as KernelFunc)({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

function batchSize(x: TensorInfo): number {
  return tf.util.sizeFromShape(x.shape.slice(0, -2));
}

// A transposed copy of each recently used `b` operand is kept while that operand lives: weights are
// multiplied transposed once per time step in a backward pass, and XNNPACK caches its packed copy
// of `b` per tensor id, so reusing the same copy avoids re-transposing and re-packing (6x faster
// for [64,4096] x [1280,4096]^T). Copies of disposed operands are freed at the next matmul.
interface CachedTranspose {
  shapeKey: string;
  t: TensorInfo;
  bytes: number;
}
const MAX_CACHE_BYTES = 96 * 2 ** 20;
const MAX_CACHE_ENTRIES = 16;
const transposeCaches = new WeakMap<BackendWasm, Map<object, CachedTranspose>>();

function cacheFor(backend: BackendWasm): Map<object, CachedTranspose> {
  let cache = transposeCaches.get(backend);
  if (cache == null) {
    cache = new Map();
    transposeCaches.set(backend, cache);
  }
  return cache;
}

function dropEntry(backend: BackendWasm, cache: Map<object, CachedTranspose>, key: object): void {
  const e = cache.get(key);
  if (e == null) return;
  cache.delete(key);
  if (backend.dataIdMap.has(e.t.dataId)) backend.disposeData(e.t.dataId);
}

/** Frees the cached transposed copies (they are also freed as their source tensors go). */
export function clearTransposeCache(): void {
  const backend = tf.engine().registry.wasm as BackendWasm | undefined;
  if (backend == null) return;
  const cache = cacheFor(backend);
  for (const key of [...cache.keys()]) dropEntry(backend, cache, key);
}

/** Bytes held by cached transposed copies on the wasm backend (for tests and diagnostics). */
export function transposeCacheBytes(): number {
  const backend = tf.engine().registry.wasm as BackendWasm | undefined;
  if (backend == null) return 0;
  let total = 0;
  for (const e of cacheFor(backend).values()) total += e.bytes;
  return total;
}

/** The transposed `b`, cached; `owned` means the caller must dispose it. */
function transposedB(b: TensorInfo, backend: BackendWasm): { t: TensorInfo; owned: boolean } {
  const cache = cacheFor(backend);
  for (const key of [...cache.keys()]) {
    if (!backend.dataIdMap.has(key)) dropEntry(backend, cache, key);
  }
  const shapeKey = b.shape.join(',');
  const hit = cache.get(b.dataId);
  if (hit != null && hit.shapeKey === shapeKey) {
    cache.delete(b.dataId); // move to the most recently used end
    cache.set(b.dataId, hit);
    return { t: hit.t, owned: false };
  }
  if (hit != null) dropEntry(backend, cache, b.dataId);
  const t = transposeLastTwo(b, backend);
  const bytes = tf.util.sizeFromShape(b.shape) * 4;
  // A no-op transpose shares b's data (and holds a reference to it): never cache that.
  if (t.dataId === b.dataId || bytes > MAX_CACHE_BYTES / 2) return { t, owned: true };
  cache.set(b.dataId, { shapeKey, t, bytes });
  let total = 0;
  for (const e of cache.values()) total += e.bytes;
  for (const key of cache.keys()) {
    if (total <= MAX_CACHE_BYTES && cache.size <= MAX_CACHE_ENTRIES) break;
    if (key === b.dataId) continue;
    total -= cache.get(key)?.bytes ?? 0;
    dropEntry(backend, cache, key);
  }
  return { t, owned: false };
}

// The XNNPACK path caches its operator (with a packed copy of `b`) under b's tensor id. Tensors made
// by reshape share that id, so the same data used as `b` with another [K, N] reuses an operator
// built for the wrong shape: the stock kernel then aborts the wasm module or reads out of bounds.
// We remember the [K, N] each id was first used with and give a differently shaped use a copy.
const xnnShapes = new WeakMap<object, string>();

/** `b` itself, or a copy under a fresh id if its id was used on the XNNPACK path with another shape. */
function xnnSafeB(b: TensorInfo, backend: BackendWasm): { t: TensorInfo; owned: boolean } {
  const shapeKey = b.shape.slice(-2).join(',');
  const seen = xnnShapes.get(b.dataId);
  if (seen == null) {
    xnnShapes.set(b.dataId, shapeKey);
    return { t: b, owned: false };
  }
  if (seen === shapeKey) return { t: b, owned: false };
  return { t: heapCopy(b, backend), owned: true };
}

/**
 * Runs `stock` with explicit transposes when that unlocks the XNNPACK path: only then (both batch
 * sizes 1) does the stock kernel become fast; batched matmuls use the slow loop either way.
 */
function withExplicitTransposes(stock: KernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs ?? {};
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const xnnPath = batchSize(a) === 1 && batchSize(b) === 1 && a.dtype === 'float32' && b.dtype === 'float32';
  if (stockMatMulCalls > 0 || !xnnPath) {
    return stock(args) as TensorInfo;
  }
  const temps: TensorInfo[] = [];
  try {
    const a2 = transposeA ? transposeLastTwo(a, backend) : a;
    if (transposeA) temps.push(a2);
    let b2 = b;
    if (transposeB) {
      const { t, owned } = transposedB(b, backend);
      b2 = t;
      if (owned) temps.push(t);
    }
    const safe = xnnSafeB(b2, backend);
    if (safe.owned) temps.push(safe.t);
    b2 = safe.t;
    return stock({
      inputs: { ...inputs, a: a2, b: b2 },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    }) as TensorInfo;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function patchedBatchMatMul(args: KernelArgs): TensorInfo {
  return withExplicitTransposes(stockBatchMatMul as KernelFunc, args);
}

/**
 * The stock slow loop (batched or transposed operands) adds the bias once per 48-wide block of
 * the shared dimension and clamps relu/relu6 on partial sums, so it is wrong whenever K > 48; the
 * XNNPACK path reads `N` bias values even when the bias has one. Those cases run unfused here:
 * matmul, then Add, then the activation kernel.
 */
function patchedFusedMatMul(args: KernelArgs): TensorInfo {
  const stock = stockFusedMatMul as KernelFunc;
  if (stockMatMulCalls > 0) return stock(args) as TensorInfo;
  const { inputs, backend } = args;
  const attrs = args.attrs ?? {};
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const bias = inputs.bias;
  const activation = (attrs.activation ?? 'linear') as tf.fused.Activation; // NamedAttrMap loses FusedMatMulAttrs' type
  const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const fastPath = batchSize(a) === 1 && batchSize(b) === 1;
  const biasOk = bias == null || (fastPath && tf.util.sizeFromShape(bias.shape) === n);
  const clampOk = fastPath || (activation !== 'relu' && activation !== 'relu6');
  if (biasOk && clampOk) return withExplicitTransposes(stock, args);

  const temps: TensorInfo[] = [];
  try {
    let y = withExplicitTransposes(stock, {
      inputs: { a, b },
      backend,
      attrs: { transposeA: attrs.transposeA, transposeB: attrs.transposeB, activation: 'linear', leakyreluAlpha: 0 },
    });
    if (bias != null) {
      temps.push(y);
      y = runKernel(tf.Add, { a: y, b: bias }, backend);
    }
    const act = ACTIVATION_KERNELS[activation];
    if (act === undefined) throw new Error(`${activation} activation is not supported by the wasm _FusedMatMul`);
    if (act != null) {
      temps.push(y);
      const actInputs: Record<string, TensorInfo> = { x: y };
      if (activation === 'prelu') actInputs.alpha = inputs.preluActivationWeights as TensorInfo;
      y = runKernel(act, actInputs, backend, activation === 'leakyrelu' ? { alpha: attrs.leakyreluAlpha ?? 0.2 } : {});
    }
    return y;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Kernel applying each fusable activation (null: none). */
const ACTIVATION_KERNELS: Record<string, string | null> = {
  linear: null,
  relu: tf.Relu,
  relu6: tf.Relu6,
  elu: tf.Elu,
  sigmoid: tf.Sigmoid,
  leakyrelu: tf.LeakyRelu,
  prelu: tf.Prelu,
};

function runKernel(name: string, inputs: Record<string, TensorInfo>, backend: BackendWasm, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = tf.getKernel(name, WASM);
  if (kernel == null) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}
