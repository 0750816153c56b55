#!/usr/bin/env bash
# Runs the Windows back-end for real, under wine: the crates' tests (target
# x86_64-pc-windows-gnu), the echo, workers and tail examples, and the benchmark (quick).
# Installs what is missing: mingw-w64 and wine from Debian's packages, the rustup target, a wine
# prefix outside the repository (under ~/.cache), and a stand-in for the one DLL wine 8 lacks
# (scripts/windows/).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
wine=/usr/lib/wine/wine64

if ! command -v x86_64-w64-mingw32-gcc >/dev/null || [ ! -x "$wine" ]; then
  echo "installing mingw-w64 and wine from Debian's packages"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    gcc-mingw-w64-x86-64 wine64 >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

export WINEPREFIX="${EVENTCTX_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/eventctx-wine}"
export WINEDEBUG=-all
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "making the wine prefix $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  "$wine" wineboot -i >/dev/null 2>&1 || true
fi
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ scripts/windows/bcryptprimitives.c -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" scripts/windows/bcryptprimitives.c -ladvapi32
fi
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
# One wine server for the whole run (it is stopped at the end), instead of one that starts
# with each test binary and lingers after it: a binary started while the last one's server
# shuts down can fail before printing anything. Wine's own services start with it here, away
# from the pipes below, which they would otherwise hold open for as long as they run.
# A server left running for this prefix (by an earlier run or by hand) would make `-p` fail.
WINEPREFIX="$WINEPREFIX" /usr/lib/wine/wineserver -k </dev/null >/dev/null 2>&1 || true
/usr/lib/wine/wineserver -p </dev/null >/dev/null 2>&1
"$wine" wineboot </dev/null >/dev/null 2>&1 || true
trap '/usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT

# The tests: unit, integration and doctests of both published crates (the doctests that show
# Unix-only code are marked `ignore-windows`, and counted as ignored); of a failure, the test,
# its panic message and the binary's exit status are printed. pipefail (above) makes a failing
# test fail this script. Bounded in time: a test that hangs under wine fails the run
# instead of stalling it.
{
  timeout 900 cargo test -q -p eventctx -p eventctx-derive --target "$target" --lib --tests 2>&1
  timeout 300 cargo test -q -p eventctx -p eventctx-derive --target "$target" --doc 2>&1
} | awk '
  /^test result/ {p += $4; f += $6; i += $8; next}
  /panicked at/ {print; n = 3; next}   # and the message that follows
  n > 0 {print; n--; next}
  /FAILED|^error|^Caused by|exit status/ {print}
  END {print p " passed, " f " failed, " i " ignored (Windows, under wine)"; if (p < 180 || f > 0) exit 1}'

# The examples, unchanged, in release builds: the echo server with its load and self-check,
# the worker pool sharing one one-shot context (exclusive mode is refused on Windows), and the
# child tailer.
cargo build -q --release --target "$target" -p eventctx-echo --example echo --example workers
timeout 120 "$wine" "target/$target/release/examples/echo.exe" --duration 1
timeout 120 "$wine" "target/$target/release/examples/workers.exe" --mode shared --duration 1
# A child's stdout and stderr lines, its exit status and a ticking timer, from one context.
cargo build -q --release --target "$target" -p eventctx --example tail
timeout 120 "$wine" "target/$target/release/examples/tail.exe" --self-check

# The benchmark, quick (3 rounds): eventctx beside mio and polling under wine, ratios to mio.
# Wine is not Windows: only the ratios between the libraries in one run mean something.
cargo build -q --release --target "$target" -p eventctx-bench
timeout 300 "$wine" "target/$target/release/eventctx-bench.exe" --quick
