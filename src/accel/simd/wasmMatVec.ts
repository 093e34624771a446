/**
 * Vector x matrix products for single-sequence stepping, in a small WebAssembly SIMD module of our
 * own (matvec.wat): no tfjs op overhead per call, the matrix copied once into the module's memory.
 */
import type { MatVecFactory } from '../matVec/matVec';
import { MATVEC_WASM_BASE64 } from './matvecWasm';

/** What an instance of matvec.wat exports (both its variants). */
export interface MatVecExports {
  matvec: (v: number, w: number, out: number, n: number, m: number) => void;
}

/**
 * Compiles a module on first use; null where the runtime lacks a feature it needs (SIMD, or
 * shared memory), so callers can fall back to another MatVec.
 */
export function lazyModule(base64: string): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      const bytes = Buffer.from(base64, 'base64');
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    return compiled;
  };
}

const module = lazyModule(MATVEC_WASM_BASE64);

export function wasmSimdAvailable(): boolean {
  return module() !== null;
}

/** The kernel works on rows and columns padded with zeros to multiples of 4. */
export const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

export const wasmMatVec: MatVecFactory = (matrix, rows, cols) => {
  const mod = module();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  if (matrix.length !== rows * cols) throw new Error(`matrix has ${matrix.length} values, expected ${rows * cols}`);
  // Rows and columns padded to multiples of 4 with zeros, as the kernel requires.
  const n = roundUp4(rows);
  const m = roundUp4(cols);
  const floats = n * m + n + m;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * 4) / 65536) || 1 });
  const { matvec } = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as MatVecExports;
  const heap = new Float32Array(memory.buffer);
  const w = heap.subarray(0, n * m);
  if (m === cols) w.set(matrix);
  else for (let r = 0; r < rows; r++) w.set(matrix.subarray(r * cols, (r + 1) * cols), r * m);
  const vOffset = n * m;
  const outOffset = vOffset + n;
  const v = heap.subarray(vOffset, vOffset + rows);
  const out = heap.subarray(outOffset, outOffset + cols);
  return {
    rows,
    cols,
    multiply(input: Float32Array): Float32Array {
      v.set(input);
      matvec(vOffset * 4, 0, outOffset * 4, n, m);
      return out;
    },
    dispose() {
      // The memory goes with the instance when this object is dropped.
    },
  };
};
