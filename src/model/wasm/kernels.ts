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
 * 3. The stock `_FusedMatMul` is WRONG on its slow path (batched or transposed operands) when the
 *    shared dimension exceeds 48 and there is a bias or a relu/relu6: it adds the bias once per
 *    48-wide block and clamps partial sums. The patched kernel avoids that path or runs such cases
 *    unfused (matmul, Add, activation).
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
let transposeFixEnabled = true;
/** Stock wasm kernel functions, captured before re-registering. */
let stockBatchMatMul: KernelFunc | undefined;
let stockFusedMatMul: KernelFunc | undefined;
let stockTranspose: KernelFunc | undefined;

/**
 * Turns the transposed-matmul fix on or off at run time (for benchmarks and tests that compare
 * against the stock kernels). It is on by default once the fixes are registered.
 */
export function setTransposedMatMulFix(enabled: boolean): void {
  transposeFixEnabled = enabled;
}

export function transposedMatMulFixEnabled(): boolean {
  return transposeFixEnabled;
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
  if (!transposeFixEnabled || (!transposeA && !transposeB) || batchSize(a) !== 1 || batchSize(b) !== 1 ||
      a.dtype !== 'float32' || b.dtype !== 'float32') {
    return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const temps: TensorInfo[] = [];
  try {
    const a2 = transposeA ? transposeLastTwo(a, backend) : a;
    if (transposeA) temps.push(a2);
    const b2 = transposeB ? transposeLastTwo(b, backend) : b;
    if (transposeB) temps.push(b2);
    return stock({
      inputs: { ...inputs, a: a2, b: b2 } as tf.NamedTensorInfoMap,
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
  if (!transposeFixEnabled) return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  const { inputs, backend } = args;
  const attrs = args.attrs ?? {};
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const bias = inputs.bias;
  const activation = String(attrs.activation ?? 'linear');
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
