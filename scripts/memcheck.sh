#!/usr/bin/env bash
# Runs eventctx's unit and integration tests under valgrind's memcheck: any invalid read or
# write, use of uninitialised memory, bad free or definite leak fails the run.
#
# Tests that check time or memory bounds read EVENTCTX_UNDER_VALGRIND and allow for valgrind's
# slowness (and its quarantine of freed memory); everything they assert otherwise stays. The
# compile-fail tests (tests/ui.rs) run the compiler, not this crate's code, and are skipped, as
# is tests/process_exit.rs: valgrind 3.19 (Debian 12) does not know pidfd_open (syscall 434)
# and answers ENOSYS, which the crate reports as Unsupported, so every case would fail there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "valgrind not found; installing it"
  { apt-get update -q && apt-get install -y -q valgrind; } >/dev/null
fi

# Test executables only (examples are built too, as programs): one JSON line per artifact.
mapfile -t bins < <(cargo test -p eventctx --no-run --message-format=json 2>/dev/null \
  | grep '"profile":{[^}]*"test":true' \
  | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | grep -v -e '/ui-' -e '/process_exit-')

export EVENTCTX_UNDER_VALGRIND=1 PROPTEST_CASES=64
failed=0
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  log=$(mktemp)
  if valgrind --error-exitcode=1 --fair-sched=yes --leak-check=full --errors-for-leak-kinds=definite \
       --show-leak-kinds=definite "$bin" --test-threads=2 >"$log" 2>&1; then
    summary=$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //')
    result=$(grep -E "^test result" "$log" | tail -1)
    printf '%-28s %s | %s\n' "$name" "$summary" "$result"
  else
    failed=1
    echo "== $name FAILED under memcheck:"
    tail -60 "$log"
  fi
  rm -f "$log"
done
if [ $failed = 0 ]; then echo "memcheck: ${#bins[@]} test binaries, no errors"; fi
exit $failed
