#!/usr/bin/env bash
# The kqueue platforms cannot be run here (no macOS or BSD machine, and linking for them
# fails), so CI type-checks and lints the crate for them, its tests included: clippy with
# warnings as errors, and `cargo check --tests`. The standard library of each target comes from
# rustup, added here when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(aarch64-apple-darwin x86_64-apple-darwin x86_64-unknown-freebsd x86_64-unknown-netbsd)

installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
for t in "${targets[@]}"; do
  echo "-- $t"
  cargo clippy -q -p eventctx --target "$t" --all-targets -- -D warnings
  cargo check -q -p eventctx --target "$t" --tests
done
echo "kqueue targets: ${targets[*]}: clippy and check clean"
