#!/usr/bin/env bash
# One run spread over 4 shard processes (--shard I/4 --start-at) vs one process at the same
# total rate, against one loadlab-server on loopback: the merged p99 beside the single run's.
# Interleaved rounds (single, sharded, single, ...); medians. Usage: bench/shards.sh [RATE] [SECONDS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rate=${1:-2000}
seconds=${2:-10}
rounds=${ROUNDS:-3}
port=$(free_port)
start_loadlab "$port" --threads 1
url="http://127.0.0.1:$port/1"
n=$((rate * seconds))
common=(--rate "$rate" -n "$n" -c 200 --seed 7 -q)

single_p99=() merged_p99=() single_ach=() merged_ach=() late=()
for round in $(seq "$rounds"); do
  "$loadgen_bin" "${common[@]}" --json "$work/single.json" "$url" || true
  single_p99+=("$(json_field '["latency_us"]["p99"]' < "$work/single.json")")
  single_ach+=("$(json_field '["rate"]["achieved_rps"]' < "$work/single.json")")
  at=$(date -u -d '+2 sec' +%Y-%m-%dT%H:%M:%S.%3NZ)
  shard_pids=()
  for i in 0 1 2 3; do
    "$loadgen_bin" --shard "$i/4" --start-at "$at" "${common[@]}" --json "$work/shard-$i.json" "$url" &
    shard_pids+=($!)
  done
  for p in "${shard_pids[@]}"; do wait "$p" || true; done
  "$loadgen_bin" merge "$work"/shard-{0,1,2,3}.json -q --json "$work/merged.json"
  merged_p99+=("$(json_field '["latency_us"]["p99"]' < "$work/merged.json")")
  merged_ach+=("$(json_field '["rate"]["achieved_rps"]' < "$work/merged.json")")
  late+=("$(json_field '["shard"]["start_late_us"]' < "$work/merged.json")")
  echo "round $round: single p99 ${single_p99[-1]} us (${single_ach[-1]} req/s), 4 shards merged p99 ${merged_p99[-1]} us (${merged_ach[-1]} req/s), latest shard start ${late[-1]} us late"
done
sp=$(printf '%s\n' "${single_p99[@]}" | median)
mp=$(printf '%s\n' "${merged_p99[@]}" | median)
echo "median p99: single $sp us, 4 shards merged $mp us, ratio merged/single $(ratio "$mp" "$sp")"
