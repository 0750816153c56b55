#!/usr/bin/env bash
# The test suite against the `Event` of macOS and the BSDs (a Unix datagram socket pair, where
# Linux has eventfd), built here on Linux with `--cfg eventctx_pipe_event`: the crate's tests,
# unit tests and doctests, and the echo server's and benchmark's. The crosvm drop-in crate is
# left out: it converts an `Event` to and from its one eventfd, which only Linux has.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg eventctx_pipe_event"
export RUSTDOCFLAGS="--cfg eventctx_pipe_event"
# pipefail (above) makes a failing cargo test fail this script.
cargo test -q --workspace --exclude eventctx-crosvm-compat --target-dir target/pipe-event 2>&1 \
  | grep -E "^test result|FAILED|panicked|^error|^warning" \
  | awk '/^test result/ {p += $4; f += $6; next} {print} END {print p " passed, " f " failed (socket-pair Event)"}'
