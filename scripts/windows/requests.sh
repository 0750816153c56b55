#!/usr/bin/env bash
# Counts the wine server requests one round trip of a benchmark scenario makes, per back-end:
# the benchmark's `--only` run with N and with 3N iterations under a wine server that logs
# every request (`wineserver -d1`); the difference over 2N is the cost of one round trip,
# start-up and shutdown cancelled out. Run after scripts/windows.sh has made the wine prefix.
#   scripts/windows/requests.sh [scenario] [N]      (default: wake 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:-wake}
n=${2:-100}
target=x86_64-pc-windows-gnu
export WINEPREFIX="${EVENTCTX_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/eventctx-wine}"
export WINEDEBUG=-all
cargo build -q --release -p eventctx-bench --target "$target"
exe="target/$target/release/eventctx-bench.exe"
log=$(mktemp)
/usr/lib/wine/wineserver -k </dev/null >/dev/null 2>&1 || true
/usr/lib/wine/wineserver -f -d1 -p </dev/null >"$log" 2>&1 &
trap '/usr/lib/wine/wineserver -k 2>/dev/null || true; rm -f "$log"' EXIT
sleep 1
/usr/lib/wine/wine64 wineboot </dev/null >/dev/null 2>&1 || true
# Request lines look like "0104: select( flags=2, ... )"; their replies "0104: select() = 0 {".
requests() { grep -aE '^[0-9a-f]{4}: [a-z_]+\(' "$log" | grep -acv ') = ' || true; }
for backend in eventctx mio polling; do
  counts=()
  for iters in "$n" $((3 * n)); do
    before=$(requests)
    timeout 300 /usr/lib/wine/wine64 "$exe" --only "$scenario" --backend "$backend" --iters "$iters" \
      </dev/null >/dev/null 2>&1
    sleep 0.5
    counts+=($(($(requests) - before)))
  done
  awk -v b="$backend" -v s="$scenario" -v lo="${counts[0]}" -v hi="${counts[1]}" -v n="$n" \
    'BEGIN {printf "%s %s: %.1f wine server requests per round trip\n", b, s, (hi - lo) / (2 * n)}'
done
