#!/usr/bin/env bash
# Runs every libFuzzer target of build/fuzz (bash scripts/build.sh fuzz), FUZZ_JOBS at a time,
# each on a copy of its seed corpus (tests/fuzz/corpus/<target>/, so the repository is not
# modified), with the libFuzzer flags given, e.g.
#   fuzz.sh -max_total_time=10      (scripts/test.sh)
#   fuzz.sh -runs=10000000          (bench/fuzz.sh)
# A target's own flags come first (tests/fuzz/<target>.options: one line, e.g. -max_len, and
# tests/fuzz/<target>.dict as -dict), so those given here override them.
# Fails if a target finds a crash, leak or sanitizer report; the input that did it is left in
# the working directory (crash-*, leak-*, ...), and the end of its log goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/fuzz/tests/fuzz"
only=${FUZZ_TARGETS:-}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Runs one target; its summary (or, on failure, its log's tail) goes to $work/<target>.out.
fuzz_one() {
  local target=$1; shift
  local log="$work/$target.log" out="$work/$target.out" own=() started=$SECONDS
  if [ -f "$root/tests/fuzz/$target.options" ]; then read -r -a own <"$root/tests/fuzz/$target.options"; fi
  if [ -f "$root/tests/fuzz/$target.dict" ]; then own+=("-dict=$root/tests/fuzz/$target.dict"); fi
  if ! "$bin/$target" ${own[@]+"${own[@]}"} "$@" -print_final_stats=1 "$work/$target" >"$log" 2>&1; then
    { tail -60 "$log"; echo "fuzz: $target FAILED"; } >"$out"
    return 1
  fi
  { echo "fuzz: $target"
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" | sed "s/^/  /"
    echo "  seconds: $((SECONDS - started))"; } >"$out"
}

# FUZZ_JOBS targets at a time (default: one per core), each a single-threaded process.
jobs=${FUZZ_JOBS:-$(nproc)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_JOBS must be a whole number from 1, got '$jobs'" >&2; exit 2; }
targets=()
for seeds in "$root"/tests/fuzz/corpus/*/; do
  target=$(basename "$seeds")
  if [ -n "$only" ] && [[ " $only " != *" $target "* ]]; then continue; fi
  if [ ! -x "$bin/$target" ]; then echo "fuzz: $bin/$target not built" >&2; exit 1; fi
  cp -r "$seeds" "$work/$target"
  targets+=("$target")
done
declare -A pid_of
failed=0
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$target" "$@" &
  pid_of[$target]=$!
done
for target in "${targets[@]}"; do
  if wait "${pid_of[$target]}"; then
    cat "$work/$target.out"
  else
    cat "$work/$target.out" >&2 2>/dev/null || echo "fuzz: $target FAILED (no summary)" >&2
    failed=1
  fi
done
exit "$failed"
