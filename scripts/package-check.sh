#!/usr/bin/env bash
# Packages the two published crates as the crate registry would receive them, unpacks the
# .crate files outside this repository, and runs each package's own tests and doctests there:
# what a user who downloads the package gets must build and pass on its own. The unpacked
# eventctx resolves eventctx-derive to the unpacked derive package, not to this repository.
# Then `cargo publish --dry-run` for both.
set -euo pipefail
cd "$(dirname "$0")/.."

# --allow-dirty: a clean clone (as in CI) is clean anyway; a work tree may have edits.
cargo package -q --allow-dirty -p eventctx-derive -p eventctx
version=$(cargo pkgid -p eventctx | sed 's/.*[@#]//')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crate in eventctx-derive eventctx; do
  tar -xzf "target/package/$crate-$version.crate" -C "$work"
  echo "$crate-$version.crate: $(tar -tzf "target/package/$crate-$version.crate" | wc -l) files"
done
for f in LICENSE-MIT LICENSE-APACHE README.md; do
  for crate in eventctx-derive eventctx; do
    [ -s "$work/$crate-$version/$f" ] || { echo "missing $f in $crate"; exit 1; }
  done
done

# The patch goes in a config file beside the packages, not on the command line, so that the
# projects trybuild makes for the derive's compile tests (under the target directory, also
# here) see it too.
mkdir -p "$work/.cargo"
printf '[patch.crates-io]\neventctx-derive = { path = "%s" }\n' "$work/eventctx-derive-$version" \
  >"$work/.cargo/config.toml"
export CARGO_TARGET_DIR="$work/target"
run_tests() { # DIR [CARGO ARGS...]: the tests of one unpacked package
  local dir=$1 log
  shift
  log=$(mktemp)
  if (cd "$dir" && cargo test "$@" >"$log" 2>&1); then
    grep -E "^test result" "$log" | awk '{p += $4; i += $8} END {print p " passed, 0 failed, " i " ignored"}' \
      | sed "s|^|$(basename "$dir"): |"
  else
    tail -60 "$log"
    echo "$(basename "$dir"): the unpacked package's tests FAILED"
    exit 1
  fi
}
run_tests "$work/eventctx-derive-$version"
run_tests "$work/eventctx-$version"

cargo publish --dry-run -q --allow-dirty -p eventctx-derive -p eventctx 2>&1 | grep -v "^warning: aborting upload due to dry run" || true
echo "cargo publish --dry-run: both crates"
