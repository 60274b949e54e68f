#!/usr/bin/env bash
# Measures /prime/N (the pool of worker processes) in one run, on loopback only.
#  1. CPU-heavy n (trial division of the prime 10^13+37): --workers 1 vs --workers 2.
#  2. The pool's round trip: /prime/97 vs /0 on the same server (one event loop, 2 workers).
#  3. The talk's own approach: aiohttp + ProcessPoolExecutor (bench/prime_aiohttp.py, 2
#     processes) vs loadlab (2 workers), same requests, heavy and small n.
# The client is loadlab-loadgen. Debian's python3-aiohttp runs under /usr/bin/python3. Usage: bench/prime.sh [build-dir]  (needs: install-deps.sh bench)
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_PER_ROUND:-10}
heavy=10000000000037
small=97

rps_of() { "$loadgen_bin" "$@" --json - -q | json_field '["throughput_rps"]'; }
ok_of() { json_field '["status_codes"].get("200", 0)'; }

echo "## 1. /prime/$heavy (trial division, ~1.6 M divisions), -c4: --workers 1 vs 2, 5 interleaved rounds of ${seconds}s"
one_port=$(free_port); start_loadlab "$one_port" --threads 1 --workers 1; one_pid=$last_pid
two_port=$(free_port); start_loadlab "$two_port" --threads 1 --workers 2; two_pid=$last_pid
ratios=()
for round in 1 2 3 4 5; do
  a=$(rps_of -c4 -d"${seconds}s" "http://127.0.0.1:$one_port/prime/$heavy")
  b=$(rps_of -c4 -d"${seconds}s" "http://127.0.0.1:$two_port/prime/$heavy")
  ratios+=("$(ratio "$b" "$a")")
  printf 'round %s: 1 worker %.1f req/s, 2 workers %.1f req/s, ratio %s\n' "$round" "$a" "$b" "${ratios[-1]}"
done
echo "median 2 workers / 1 worker: $(printf '%s\n' "${ratios[@]}" | median)"
kill "$one_pid" "$two_pid"; wait "$one_pid" "$two_pid" 2>/dev/null || true

echo
echo "## 2. pool round trip: /prime/$small vs /0, one event loop, 2 workers, -c50, 3 interleaved rounds of ${seconds}s"
port=$(free_port)
start_loadlab "$port" --threads 1 --workers 2
ratios=()
for round in 1 2 3; do
  p=$(rps_of -c50 -d"${seconds}s" "http://127.0.0.1:$port/prime/$small")
  z=$(rps_of -c50 -d"${seconds}s" "http://127.0.0.1:$port/0")
  ratios+=("$(ratio "$p" "$z")")
  printf 'round %s: /prime/%s %.0f req/s, /0 %.0f req/s, ratio %s\n' "$round" "$small" "$p" "$z" "${ratios[-1]}"
done
echo "median /prime/$small vs /0: $(printf '%s\n' "${ratios[@]}" | median)"
loadlab_small=$(rps_of -c50 -d"${seconds}s" "http://127.0.0.1:$port/prime/$small")
loadlab_heavy=$(rps_of -c4 -d"${seconds}s" "http://127.0.0.1:$port/prime/$heavy")
kill "$last_pid"; wait "$last_pid" 2>/dev/null || true

echo
echo "## 3. the talk's approach: aiohttp + ProcessPoolExecutor(2) vs loadlab --workers 2"
port=$(free_port)
/usr/bin/python3 "$root/bench/prime_aiohttp.py" "$port" 2 &
pids+=($!)
wait_port "$port"
"$loadgen_bin" -n 20 -c 2 -q "http://127.0.0.1:$port/prime/$small"  # start the pool's processes
python_heavy=$(rps_of -c4 -d"${seconds}s" "http://127.0.0.1:$port/prime/$heavy")
python_small=$(rps_of -c50 -d"${seconds}s" "http://127.0.0.1:$port/prime/$small")
printf 'heavy n: loadlab %.1f req/s, python %.1f req/s, loadlab/python %s\n' "$loadlab_heavy" "$python_heavy" \
  "$(ratio "$loadlab_heavy" "$python_heavy")"
printf 'small n: loadlab %.0f req/s, python %.0f req/s, loadlab/python %s\n' "$loadlab_small" "$python_small" \
  "$(ratio "$loadlab_small" "$python_small")"
