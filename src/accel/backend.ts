/**
 * Chooses and initialises the tfjs backend. Await `initBackend` before creating any tensor:
 * tensors made earlier live on whatever backend tfjs picked by itself.
 *
 * Nothing here writes to stdout (the CLI speaks JSON lines there): console output produced by tfjs
 * or emscripten while a backend initialises is captured, and the cpu backend's "install the node
 * backend" banner is switched off.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { CharmError } from '../errors';
import { NATIVE_MODULES_ENV, TFJS_NODE } from '../util/nativePackage';
import { loadNativeFrom } from './nativeTfjs';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: 'tensorflow' | 'wasm' | 'cpu';
  threads: number;
  simd: boolean;
  detail: string;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

const TFJS_NODE_INSTALL =
  `The 'tensorflow' backend needs ${TFJS_NODE}, which is not installed or failed to load: ` +
  `run "npm install ${TFJS_NODE}@${tf.version_core}" (it downloads libtensorflow, so it needs internet access), ` +
  `or install it into a folder of its own ("npm install --prefix DIR ${TFJS_NODE}@${tf.version_core}", or "Charm: Install Native Backend" in VS Code) ` +
  `and set ${NATIVE_MODULES_ENV}=DIR; or choose the 'wasm' backend`;

export interface BackendOptions {
  /** wasm only: see initBackend. */
  threads?: number;
  /** false keeps the LSTM's time loop on one thread (benchmarks compare the two). Default true. */
  twoThreadLstm?: boolean;
}

let current: BackendInfo | undefined;
let twoThreadLstm = true;
/** Per backend name, what its first successful initialisation reported. */
const initialised = new Map<BackendInfo['name'], BackendInfo>();
/** initBackend calls run one after another. */
let queue: Promise<unknown> = Promise.resolve();

/** Whether the last initBackend call lets the LSTM's time loop use two threads where it can. */
export function twoThreadLstmAllowed(): boolean {
  return twoThreadLstm;
}

/** The backend the last successful initBackend call activated. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Initialises and activates a backend. `auto` tries tensorflow (tfjs-node), then wasm, then cpu.
 * `threads` (wasm only) defaults to env CHARM_WASM_THREADS, else os.availableParallelism();
 * 1 selects the single-thread wasm build. Calling it again with the same choice is cheap.
 * Throws CharmError for an explicit 'tensorflow' without tfjs-node, or for a bad choice/thread count.
 */
export function initBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> {
  const run = queue.then(() => initBackendNow(choice, options));
  queue = run.catch(() => undefined);
  return run;
}

async function initBackendNow(choice: BackendChoice, options: BackendOptions): Promise<BackendInfo> {
  if (!CHOICES.includes(choice)) {
    throw new CharmError(`Unknown backend '${String(choice)}': use one of ${CHOICES.join(', ')}`);
  }
  const threads = resolveThreads(options.threads);
  twoThreadLstm = options.twoThreadLstm ?? true;
  if (current != null && (choice === current.name || (choice === 'auto' && autoResolvedTo === current.name)) && tf.getBackend() === current.name) {
    return current;
  }
  silenceCpuBanner();
  const captured = new CapturedConsole();
  try {
    let info: BackendInfo;
    switch (choice) {
      case 'tensorflow':
        info = await initTensorflow(captured, true);
        break;
      case 'wasm':
        info = await initWasmBackend(threads);
        break;
      case 'cpu':
        info = await initCpu();
        break;
      default: {
        info = (await initTensorflow(captured, false)) ?? (await tryWasm(threads, captured)) ?? (await initCpu());
        autoResolvedTo = info.name;
        // A native backend the user installed but that does not load: say why it is not used.
        if (info.name !== 'tensorflow' && nativeFailure !== undefined) info = { ...info, detail: `${info.detail}; ${TFJS_NODE} not used: ${nativeFailure}` };
      }
    }
    current = info;
    return info;
  } finally {
    captured.restore();
  }
}

let autoResolvedTo: BackendInfo['name'] | undefined;

function resolveThreads(requested: number | undefined): number {
  if (requested != null) {
    if (!Number.isInteger(requested) || requested < 1) {
      throw new CharmError(`The thread count must be a whole number of at least 1, got ${requested}`);
    }
    return requested;
  }
  const env = process.env.CHARM_WASM_THREADS;
  if (env != null && env.trim() !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new CharmError(`CHARM_WASM_THREADS must be a whole number of at least 1, got '${env}'`);
    }
    return n;
  }
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The cpu backend warns once, on its first tensor, that tfjs-node would be faster. */
function silenceCpuBanner(): void {
  try {
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu != null) cpu.firstUse = false;
  } catch {
    // the cpu backend is not registered: nothing to silence
  }
}

/**
 * While alive, console.log/info/debug (stdout) and console.warn output is kept in memory instead of
 * printed; console.error still goes to stderr. Process-wide, so only for the short init window.
 */
class CapturedConsole {
  readonly lines: string[] = [];
  private readonly saved: Partial<Record<'log' | 'info' | 'warn' | 'debug', (...args: unknown[]) => void>> = {};

  constructor() {
    for (const k of ['log', 'info', 'warn', 'debug'] as const) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- put back on console by restore(), so `this` is console again
      this.saved[k] = console[k];
      console[k] = (...args: unknown[]) => {
        this.lines.push(args.map(String).join(' '));
      };
    }
  }

  restore(): void {
    for (const [k, fn] of Object.entries(this.saved)) {
      (console as unknown as Record<string, unknown>)[k] = fn;
    }
  }

  /** A short one-line summary of what was printed, for error messages. */
  summary(): string {
    const text = this.lines.join(' ').replace(/\s+/g, ' ').trim();
    return text.length > 300 ? `${text.slice(0, 300)}...` : text;
  }
}

async function activate(name: string, captured?: CapturedConsole): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) {
    const why = captured?.summary();
    throw new Error(`tfjs could not initialise the '${name}' backend${why ? `: ${why}` : ''}`);
  }
  await tf.ready();
}

async function initCpu(): Promise<BackendInfo> {
  await activate('cpu');
  silenceCpuBanner();
  const info: BackendInfo = { name: 'cpu', threads: 1, simd: false, detail: `tfjs ${tf.version_core} cpu backend (plain JavaScript, one thread)` };
  initialised.set('cpu', info);
  return info;
}

async function initWasmBackend(threads: number): Promise<BackendInfo> {
  // Loaded on demand (plain require: tsx leaves import() native, which cannot load a folder).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { initWasm } = require('./tfjsWasm/load') as typeof import('./tfjsWasm/load');
  const w = await initWasm(threads);
  const info: BackendInfo = { name: 'wasm', threads: w.threads, simd: w.simd, detail: w.detail };
  initialised.set('wasm', info);
  return info;
}

async function tryWasm(threads: number, captured: CapturedConsole): Promise<BackendInfo | undefined> {
  try {
    return await initWasmBackend(threads);
  } catch (e) {
    captured.lines.push(`wasm: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** Why the tfjs-node of CHARM_NATIVE_MODULES failed to load (it exists there but threw). */
let nativeFailure: string | undefined;

/** What was loaded: its label for the backend's detail, and the folder it came from, if any. */
function loadTfjsNode(): { label: string; folder?: string } {
  // tfjs-node's native TensorFlow logs to stderr; keep it to warnings unless the user chose a level.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const folder = process.env[NATIVE_MODULES_ENV];
  if (folder) {
    try {
      const native = loadNativeFrom(folder);
      if (native) return { label: `${native.name} ${native.version} from ${folder}`, folder };
    } catch (e) {
      nativeFailure = `loading it from ${folder} failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
      throw e;
    }
  }
  // A plain require: bundles mark @tensorflow/* external, and the package is optional.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  require(TFJS_NODE);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    return { label: `${TFJS_NODE} ${(require(`${TFJS_NODE}/package.json`) as { version: string }).version}` };
  } catch {
    return { label: `${TFJS_NODE} (unknown version)` };
  }
}

async function initTensorflow(captured: CapturedConsole, required: true): Promise<BackendInfo>;
async function initTensorflow(captured: CapturedConsole, required: false): Promise<BackendInfo | undefined>;
async function initTensorflow(captured: CapturedConsole, required: boolean): Promise<BackendInfo | undefined> {
  const known = initialised.get('tensorflow');
  if (known != null) {
    await activate('tensorflow', captured);
    return known;
  }
  let loaded: { label: string; folder?: string } | undefined;
  try {
    loaded = loadTfjsNode();
    await activate('tensorflow', captured);
  } catch (e) {
    if (loaded?.folder !== undefined)
      nativeFailure = `it loaded from ${loaded.folder} but its backend did not start (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
    if (!required) return undefined;
    const cause =
      nativeFailure !== undefined
        ? ` (${nativeFailure})`
        : e instanceof Error && (e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND'
          ? ` (${e.message.split('\n')[0]})`
          : '';
    throw new CharmError(`${TFJS_NODE_INSTALL}${cause}`);
  }
  const threads = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const info: BackendInfo = { name: 'tensorflow', threads, simd: true, detail: `${loaded.label} (native TensorFlow)` };
  initialised.set('tensorflow', info);
  return info;
}
