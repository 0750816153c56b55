#!/usr/bin/env bash
# Runs the benchmark under wine (9 rounds, about 2 minutes; pass --quick for 3), with the
# prefix scripts/windows.sh made. Arguments go to the benchmark (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=x86_64-pc-windows-gnu
export WINEPREFIX="${EVENTCTX_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/eventctx-wine}"
export WINEDEBUG=-all
[ -f "$WINEPREFIX/system.reg" ] || { echo "no wine prefix: run scripts/windows.sh first"; exit 1; }
cargo build -q --release -p eventctx-bench --target "$target"
/usr/lib/wine/wineserver -k </dev/null >/dev/null 2>&1 || true
/usr/lib/wine/wineserver -p </dev/null >/dev/null 2>&1
/usr/lib/wine/wine64 wineboot </dev/null >/dev/null 2>&1 || true
trap '/usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT
/usr/lib/wine/wine64 "target/$target/release/eventctx-bench.exe" "$@"
