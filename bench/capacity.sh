#!/usr/bin/env bash
# Issue 15's figure: the capacity loadlab-loadgen finds on /prime/N (about 2 ms of trial
# division) against the saturation throughput wrk measures in the same run, with --workers 1
# and --workers 2; and how long the search took against a fixed sweep of the same precision.
#   bench/capacity.sh            ROUNDS=2 by default; STEP, SETTLE, PRECISION to change them
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-2}
step=${STEP:-3s}
settle=${SETTLE:-1s}
precision=${PRECISION:-5%}
prime=${PRIME:-4000000000039}

echo "# /prime/$prime, capacity under p99<100ms and errors<1% vs wrk -c 16 saturation; $rounds rounds"
printf "%-8s %-6s %10s %10s %7s %7s %9s %11s\n" workers round wrk_rps capacity ratio steps search_s sweep_s
for workers in 1 2; do
  for round in $(seq "$rounds"); do
    port=$(free_port)
    start_loadlab "$port" --workers "$workers" --threads 1
    url="http://127.0.0.1:$port/prime/$prime"
    wrk -t1 -c16 -d5s "$url" > "$work/wrk" 2>&1 || true
    rps=$(wrk_rps < "$work/wrk")
    "$loadgen_bin" capacity --rate 50..20000 --step "$step" --settle "$settle" \
      --precision "$precision" --slo 'p99<100ms' --slo 'errors<1%' -q --json "$work/cap.json" \
      "$url" || true
    read -r cap steps search sweep < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["capacity_rps"] or 0, len(d["steps"]), round(d["elapsed_s"],1), round(d["fixed_sweep"]["seconds"],1))' "$work/cap.json")
    printf "%-8s %-6s %10s %10.1f %7s %7s %9s %11s\n" "$workers" "$round" "$rps" "$cap" \
      "$(ratio "$cap" "$rps")" "$steps" "$search" "$sweep"
    kill "$last_pid"; wait "$last_pid" 2>/dev/null || true
  done
done
