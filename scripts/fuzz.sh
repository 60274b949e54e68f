#!/usr/bin/env bash
# Runs every libFuzzer target of build/fuzz (bash scripts/build.sh fuzz) one after another,
# each on a copy of its seed corpus (tests/fuzz/corpus/<target>/, so the repository is not
# modified), with the libFuzzer flags given, e.g.
#   fuzz.sh -max_total_time=10      (scripts/test.sh)
#   fuzz.sh -runs=10000000          (bench/fuzz.sh)
# A target's own flags come first (tests/fuzz/<target>.options: one line, e.g. -max_len, and
# tests/fuzz/<target>.dict as -dict), so those given here override them.
# Fails on the first target that finds a crash, leak or sanitizer report; the input that did it
# is left in the working directory (crash-*, leak-*, ...), and the log on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/fuzz/tests/fuzz"
only=${FUZZ_TARGETS:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for seeds in "$root"/tests/fuzz/corpus/*/; do
  target=$(basename "$seeds")
  if [ -n "$only" ] && [[ " $only " != *" $target "* ]]; then continue; fi
  if [ ! -x "$bin/$target" ]; then echo "fuzz: $bin/$target not built" >&2; exit 1; fi
  cp -r "$seeds" "$work/$target"
  log="$work/$target.log"
  echo "fuzz: $target"
  own=()
  if [ -f "$root/tests/fuzz/$target.options" ]; then read -r -a own <"$root/tests/fuzz/$target.options"; fi
  if [ -f "$root/tests/fuzz/$target.dict" ]; then own+=("-dict=$root/tests/fuzz/$target.dict"); fi
  started=$SECONDS
  if ! "$bin/$target" ${own[@]+"${own[@]}"} "$@" -print_final_stats=1 "$work/$target" >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "fuzz: $target FAILED" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" | sed "s/^/  /"
  echo "  seconds: $((SECONDS - started))"
done
