#!/usr/bin/env bash
# The README's test command on a busy machine: a fresh clone of this repository's HEAD (with
# ../shared beside it, as CI has it) runs `bash scripts/test.sh` ROUNDS times in a row while
# `stress-ng --cpu 2` keeps both cores busy. A suite that passes only on a quiet machine fails
# here. Prints one line per round (exit code, wall time) and keeps each round's log.
# Usage: bench/busy-test.sh [rounds]   (default 3; needs stress-ng: install-deps.sh bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
work=$(mktemp -d /tmp/loadlab-busy.XXXXXX)
logs=${LOGS:-$work/logs}
mkdir -p "$logs"

git clone -q "$root" "$work/main"
if [ -d "$root/../shared" ]; then cp -r "$root/../shared" "$work/shared"; fi

stress-ng --cpu 2 --timeout 0 >/dev/null 2>&1 &
stress=$!
trap 'kill "$stress" 2>/dev/null || true; wait "$stress" 2>/dev/null || true' EXIT

echo "commit $(git -C "$work/main" rev-parse --short HEAD), $(nproc) cores, stress-ng --cpu 2 running"
failed=0
for round in $(seq "$rounds"); do
  rm -rf "$work/main/build"
  started=$(date +%s)
  rc=0
  (cd "$work/main" && bash scripts/test.sh) > "$logs/round-$round.log" 2>&1 || rc=$?
  echo "round $round: exit $rc in $(( $(date +%s) - started )) s; $(grep -E 'tests passed|tests failed' "$logs/round-$round.log" | tr '\n' ' ')"
  [ "$rc" -eq 0 ] || failed=1
done
echo "logs: $logs"
exit "$failed"
