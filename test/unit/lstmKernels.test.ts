import * as assert from 'node:assert/strict';
import { Gemm, packRecurrentKernel, packRecurrentKernelTransposed } from '../../src/accel/simd/lstmHalves';
import { lstmKernelsModule } from '../../src/accel/simd/lstmThreads';
import { SeededRandom } from '../../src/util/random';

const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
const heap = new Float32Array(memory.buffer);

function instantiate(module: WebAssembly.Module | null): Gemm {
  assert.ok(module, 'Node 20 has WebAssembly SIMD and threads');
  return (new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as { gemm: Gemm }).gemm;
}

/** Deterministic values in [-1, 1). */
function fill(at: number, count: number, seed: number): void {
  const rng = new SeededRandom(seed);
  for (let i = 0; i < count; i++) heap[at + i] = 2 * rng.next() - 1;
}

describe('gemm (wasm SIMD, packed panels)', () => {
  const variants: [string, () => Gemm][] = [
    ['fused multiply-add', () => instantiate(lstmKernelsModule({ fused: true }))],
    ['multiply, then add', () => instantiate(lstmKernelsModule({ fused: false }))],
  ];
  for (const [variant, gemmOf] of variants)
    for (const [m, k, n8] of [
      [1, 1, 1],
      [4, 5, 1],
      [7, 33, 3],
      [13, 16, 2],
    ]) {
      it(`${variant}: C ${m}x${8 * n8} = A ${m}x${k} x B, strided rows, written and accumulated`, () => {
        const gemm = gemmOf();
        const n = 8 * n8;
        const lda = k + 3; // row strides wider than the rows: the kernel must use them
        const ldc = n + 5;
        const [a, b, c] = [0, 4096, 8192];
        fill(a, m * lda, 1);
        fill(b, k * n, 2);
        fill(c, m * ldc, 3);
        const before = heap.slice(c, c + m * ldc);
        gemm(a * 4, lda * 4, b * 4, c * 4, ldc * 4, m, k, n8, 0);
        const written = heap.slice(c, c + m * ldc);
        gemm(a * 4, lda * 4, b * 4, c * 4, ldc * 4, m, k, n8, 1);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            // B panel p holds columns 8p .. 8p + 7, row by row.
            let expected = 0;
            for (let kk = 0; kk < k; kk++) expected += heap[a + i * lda + kk] * heap[b + (j >> 3) * k * 8 + kk * 8 + (j & 7)];
            assert.ok(Math.abs(written[i * ldc + j] - expected) < 1e-5, `C[${i}, ${j}] = ${written[i * ldc + j]}, expected ${expected}`);
            assert.ok(Math.abs(heap[c + i * ldc + j] - 2 * expected) < 2e-5, `accumulated C[${i}, ${j}]`);
          }
          // The padding between rows is untouched.
          for (let j = n; j < ldc && i * ldc + j < m * ldc; j++) assert.equal(heap[c + i * ldc + j], before[i * ldc + j]);
        }
      });
    }

  it('runs with fused multiply-adds on this Node (relaxed SIMD, behind a flag set at run time on Node 20)', () => {
    assert.notEqual(lstmKernelsModule({ fused: true }), lstmKernelsModule({ fused: false }));
  });

  it("packs R so that each part multiplies its units' gate columns", () => {
    const gemm = instantiate(lstmKernelsModule());
    const units = 16;
    const half = units / 2;
    const width = 4 * units;
    const [r, packed, h, z] = [0, 2048, 4096, 5120];
    fill(r, units * width, 4);
    fill(h, 2 * units, 5);
    packRecurrentKernel(heap, r, packed, units);
    for (let part = 0; part < 2; part++) {
      // Part p's pre-activations [B, 2U]: gates i, f, g, o of its units p * U/2 .. (p + 1) * U/2 - 1.
      gemm(h * 4, units * 4, (packed + part * 2 * units * units) * 4, z * 4, 2 * units * 4, 2, units, (2 * units) / 8, 0);
      for (let row = 0; row < 2; row++) {
        for (let gate = 0; gate < 4; gate++) {
          for (let j = 0; j < half; j++) {
            let expected = 0;
            const column = gate * units + part * half + j;
            for (let k = 0; k < units; k++) expected += heap[h + row * units + k] * heap[r + k * width + column];
            assert.ok(Math.abs(heap[z + row * 2 * units + gate * half + j] - expected) < 1e-5, `part ${part} gate ${gate} unit ${j}`);
          }
        }
      }
    }
    packRecurrentKernelTransposed(heap, r, packed, units);
    const dz = h;
    fill(dz, width, 6);
    // dh = dz R^T for the units of both parts, in order.
    gemm(dz * 4, width * 4, packed * 4, z * 4, units * 4, 1, width, units / 8, 0);
    for (let u = 0; u < units; u++) {
      let expected = 0;
      for (let k = 0; k < width; k++) expected += heap[dz + k] * heap[r + u * width + k];
      assert.ok(Math.abs(heap[z + u] - expected) < 1e-4, `dh[${u}]`);
    }
  });
});
