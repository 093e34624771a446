/**
 * Matmul throughput on the wasm backend: stock vs patched kernels (explicit transposes before the
 * XNNPACK path), for every transposeA/transposeB combination, on the single-thread SIMD build, the
 * threaded-SIMD build with one thread and the threaded-SIMD build with one thread per core.
 *
 *   npx tsx bench/matmul.ts           # both shapes (about 4-5 minutes on 2 cores)
 *   npx tsx bench/matmul.ts --quick   # 1024^3 only
 *
 * Each build runs in its own child process (a process holds one wasm module); stock and patched
 * runs alternate inside it so load changes on a shared machine hit both alike.
 * Operands stay the same across runs and the best run counts, so both sides run warm: XNNPACK
 * keeps its packed copy of `b` per tensor (stock NN path), and the patched kernel keeps a transposed
 * copy of a transposed `b` while it lives (the steady state for a weight matrix); a transposed `a`
 * is transposed on every call.
 * The stock transposed kernels run at ~1 GFLOP/s, so on the big shape they are timed on a
 * 320-row slice (same K and N): their per-FLOP speed barely depends on M.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/accel';
import { initWasm } from '../src/accel/tfjsWasm/load';
import { withStockMatMuls } from '../src/accel/tfjsKernels/wasmFixes';

interface Shape {
  label: string;
  m: number;
  k: number;
  n: number;
  /** Rows used for the slow stock transposed runs. */
  stockM: number;
}

const SHAPES: Shape[] = [
  { label: '1024x1024 @ 1024x1024', m: 1024, k: 1024, n: 1024, stockM: 1024 },
  { label: '6400x1024 @ 1024x4096', m: 6400, k: 1024, n: 4096, stockM: 320 },
];
const COMBOS: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

interface Row {
  shape: string;
  combo: string;
  stock: number;
  patched: number;
  stockNote: string;
}
interface ChildResult {
  build: string;
  rows: Row[];
}

function comboName(ta: boolean, tb: boolean): string {
  return `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
}

/** Operands stored so that matMul(a, b, ta, tb) is logically [m,k] x [k,n]. */
function operands(m: number, k: number, n: number, ta: boolean, tb: boolean): [tf.Tensor2D, tf.Tensor2D] {
  const a = tf.randomUniform(ta ? [k, m] : [m, k], -1, 1) as tf.Tensor2D;
  const b = tf.randomUniform(tb ? [n, k] : [k, n], -1, 1) as tf.Tensor2D;
  return [a, b];
}

/** GFLOP/s of one run. wasm kernels run synchronously, so the call's wall time is the kernel's. */
function once(a: tf.Tensor2D, b: tf.Tensor2D, ta: boolean, tb: boolean, flops: number, patched: boolean): number {
  const t0 = performance.now();
  const c = patched ? tf.matMul(a, b, ta, tb) : withStockMatMuls(() => tf.matMul(a, b, ta, tb));
  const dt = performance.now() - t0;
  c.dispose();
  return flops / (dt / 1e3) / 1e9;
}

async function child(build: string, quick: boolean): Promise<ChildResult> {
  const cores = os.availableParallelism();
  let detail: string;
  if (build === 'threaded-1') detail = (await initWasm(1, { forceThreadedBuild: true })).detail;
  else detail = (await initBackend('wasm', { threads: build === 'single' ? 1 : cores })).detail;
  const rows: Row[] = [];
  for (const s of quick ? SHAPES.slice(0, 1) : SHAPES) {
    const big = s.m * s.k * s.n > 2e9;
    for (const [ta, tb] of COMBOS) {
      const flops = 2 * s.m * s.k * s.n;
      const [a, b] = operands(s.m, s.k, s.n, ta, tb);
      const sliced = (ta || tb) && s.stockM !== s.m;
      const [sa, sb] = sliced ? operands(s.stockM, s.k, s.n, ta, tb) : [a, b];
      const stockFlops = 2 * (sliced ? s.stockM : s.m) * s.k * s.n;
      if (!big) once(a, b, ta, tb, flops, true); // warm-up
      // Alternate stock and patched runs; keep the best of each (noise only ever slows a run).
      let stock = 0;
      let patched = 0;
      for (let round = 0; round < (big ? 2 : 3); round++) {
        patched = Math.max(patched, once(a, b, ta, tb, flops, true));
        stock = Math.max(stock, once(sa, sb, ta, tb, stockFlops, false));
      }
      tf.dispose(sliced ? [a, b, sa, sb] : [a, b]);
      const stockNote = sliced ? `(stock timed at M=${s.stockM})` : !ta && !tb ? '(same code path)' : '';
      rows.push({ shape: s.label, combo: comboName(ta, tb), stock, patched, stockNote });
      process.stderr.write(`  ${build} ${s.label} ${comboName(ta, tb)}: stock ${stock.toFixed(1)} patched ${patched.toFixed(1)} GFLOP/s\n`);
    }
  }
  return { build: detail, rows };
}

function parent(quick: boolean): void {
  const cores = os.availableParallelism();
  const builds = ['single', 'threaded-1', 'threaded-n'];
  const results: ChildResult[] = [];
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`wasm matmul GFLOP/s (best run), ${cores} logical cores, ${os.cpus()[0]?.model ?? ''}; load average ${load()}`);
  for (const build of builds) {
    const args = [...process.execArgv, __filename, '--child', build, ...(quick ? ['--quick'] : [])];
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`${build}: child failed (status ${r.status})`);
      continue;
    }
    const last = r.stdout.trim().split('\n').pop() ?? '{}';
    results.push(JSON.parse(last) as ChildResult);
  }
  console.log(`load average after: ${load()}`);
  for (const res of results) {
    console.log(`\n${res.build}`);
    console.log(`  ${'shape'.padEnd(24)} ${'tA,tB'.padEnd(6)} ${'stock'.padStart(8)} ${'patched'.padStart(8)}  speed-up`);
    for (const row of res.rows) {
      console.log(
        `  ${row.shape.padEnd(24)} ${row.combo.padEnd(6)} ${row.stock.toFixed(1).padStart(8)} ${row.patched.toFixed(1).padStart(8)}  ` +
          `x${(row.patched / row.stock).toFixed(1)} ${row.stockNote}`,
      );
    }
  }
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const at = argv.indexOf('--child');
if (at >= 0) {
  child(argv[at + 1], quick).then(
    (res) => process.stdout.write(`${JSON.stringify(res)}\n`),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  parent(quick);
}
