#!/usr/bin/env bash
# User-space instructions and system calls per iteration of a scenario, for each back-end.
#
# Instructions come from valgrind's callgrind, which counts them exactly (the same count on a
# busy machine as on an idle one). Each back-end runs twice, with N1 and N2 iterations; the
# difference divided by the extra iterations is the cost of one iteration, with start-up and
# set-up cancelled out. System calls are counted the same way with `strace -f -c`.
#
#   crates/eventctx-bench/instr.sh [SCENARIO]     # ping (default), idle, churn, burst or wake
#
# An iteration is one round trip (ping, idle, wake), one add + delete (churn), or one wait
# (burst: 1,024 events for every back-end but eventctx's 16-event `wait_timeout`, which gets
# 16). "epoll waits" counts the epoll_wait/epoll_pwait/epoll_pwait2 calls alone: one per
# iteration is the floor for every scenario but churn. wake (another thread answers each
# signal, so every wait blocks) gets no instruction count: under valgrind its threads take
# turns, which measures valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:-ping}
n1=2000
n2=12000
cargo build --release -q -p eventctx-bench
bin=target/release/eventctx-bench
backends="raw-epoll mio polling eventctx eventctx-batch"
# The harness runs iters + iters/10 + 1 iterations (the last part is its warm-up).
runs() { echo $(( $1 + $1 / 10 + 1 )); }
extra=$(( $(runs $n2) - $(runs $n1) ))

instructions() {
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" \
        --instr "$scenario" --backend "$1" --iters "$2" 2>&1 | grep -E 'Collected' | awk '{print $4}')
  echo "$out"
}

# System calls of every kind, then epoll waits alone, for one run: "ALL WAITS".
syscalls() {
  local f
  f=$(mktemp)
  strace -f -c -o "$f" "$bin" --instr "$scenario" --backend "$1" --iters "$2" 2>/dev/null
  awk '$NF=="total" {t=$(NF-2)} $NF ~ /^epoll_(wait|pwait|pwait2)$/ {w+=$(NF-1)} END {print t+0, w+0}' "$f"
  rm -f "$f"
}

have_valgrind=1; command -v valgrind >/dev/null || have_valgrind=0
have_strace=1; command -v strace >/dev/null || have_strace=0

printf '%s: per iteration, from %s extra iterations\n' "$scenario" "$extra"
printf '%-16s %14s %10s %12s %12s\n' backend instructions "vs raw" syscalls "epoll waits"
raw=""
for b in $backends; do
  ins="-"; ratio="-"; sys="-"; waits="-"
  if [ "$scenario" = burst ] && [ "$b" = mio ]; then
    # mio is edge-triggered only: a descriptor left ready is reported once.
    printf '%-16s %14s %10s %12s %12s\n' "$b" n/a n/a n/a n/a
    continue
  fi
  if [ $have_valgrind = 1 ] && [ "$scenario" != wake ]; then
    i1=$(instructions "$b" $n1); i2=$(instructions "$b" $n2)
    ins=$(awk -v a="$i1" -v b="$i2" -v n="$extra" 'BEGIN { printf "%.1f", (b - a) / n }')
    [ -z "$raw" ] && raw=$ins
    ratio=$(awk -v x="$ins" -v r="$raw" 'BEGIN { printf "%.3f", x / r }')
  fi
  if [ $have_strace = 1 ]; then
    read -r s1 w1 < <(syscalls "$b" $n1); read -r s2 w2 < <(syscalls "$b" $n2)
    sys=$(awk -v a="$s1" -v b="$s2" -v n="$extra" 'BEGIN { printf "%.2f", (b - a) / n }')
    waits=$(awk -v a="$w1" -v b="$w2" -v n="$extra" 'BEGIN { printf "%.2f", (b - a) / n }')
  fi
  printf '%-16s %14s %10s %12s %12s\n' "$b" "$ins" "$ratio" "$sys" "$waits"
done
[ $have_valgrind = 1 ] || echo "(valgrind not found: no instruction counts)"
[ $have_strace = 1 ] || echo "(strace not found: no system call counts)"
