#!/usr/bin/env bash
# Builds and tests the published crates with rustc 1.85, the declared rust-version. The
# toolchain is Debian's rustc-web/cargo-web 1.85 at /usr/bin, beside rustup's; it is installed
# here when missing. (The derive's compile-fail snapshots belong to one pinned rustc, so
# tests/ui.rs skips them on this one and says so; everything else runs.)
set -euo pipefail
cd "$(dirname "$0")/.."
want=1.85

have() { [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && /usr/bin/rustc --version | grep -q "^rustc $want\."; }
if ! have; then
  echo "installing Debian's rustc-web and cargo-web $want"
  apt-get update -q >/dev/null
  v=$(apt-cache madison rustc-web | awk -v w="$want" '$3 ~ "^" w "\\." {print $3; exit}')
  [ -n "$v" ] || { echo "no rustc-web $want in the package lists"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades \
    "rustc-web=$v" "cargo-web=$v" "libstd-rust-web-dev=$v" "libstd-rust-web-$want=$v" >/dev/null
  have || { echo "rustc $want did not install"; exit 1; }
fi
/usr/bin/rustc --version
# pipefail (above) makes a failing cargo test fail this script.
PATH=/usr/bin:/bin cargo test -q -p eventctx -p eventctx-derive --target-dir target/msrv 2>&1 \
  | grep -E "^test result|FAILED|panicked|^error|^warning" \
  | awk '/^test result/ {p += $4; f += $6; next} {print} END {print p " passed, " f " failed (rustc '"$want"')"}'
