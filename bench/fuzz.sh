#!/usr/bin/env bash
# Fuzzes every parser for 10 million executions each (bench/RESULTS.md records the runs), or
# for at most FUZZ_MAX_SECONDS (600) per target for those too slow to get there.
# One target at a time, at the lowest priority: the machine is shared.
#   FUZZ_TARGETS="slo_fuzz duration_fuzz" bench/fuzz.sh     a subset
#   FUZZ_RUNS=1000000 bench/fuzz.sh                         fewer executions
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" fuzz
nice -n 19 bash "$root/scripts/fuzz.sh" -runs="${FUZZ_RUNS:-10000000}" -max_total_time="${FUZZ_MAX_SECONDS:-600}"
