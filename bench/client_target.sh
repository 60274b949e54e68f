#!/usr/bin/env bash
# Issue 12's figures for the client-target endpoints. Loopback only.
#  1. /bytes/1048576, keep-alive, wrk -t1 -c10: bytes/s against nginx (one worker) sending a
#     1 MiB static file, in interleaved rounds, the ratio per round (target >= 0.9).
#  2. 5000 concurrent /drip?bytes=1000&duration=10000 from the loadgen: the server's peak RSS
#     (VmHWM, target <= 64 MiB) and the drips' latency distribution (target: all within 2 % of
#     10 s, i.e. max <= 10.2 s).
# ROUNDS (default 3), SECONDS_PER_ROUND (default 10), THREADS (server loops, default 1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_ROUND:-10}
threads=${THREADS:-1}

if want 1; then
  nginx_port=$(free_port)
  mkdir -p "$work/nginx/tmp" "$work/nginx/files"
  head -c 1048576 /dev/urandom > "$work/nginx/files/1m.bin"
  sed -e "s/__PORT__/$nginx_port/" \
      -e "s|return 200 .*;|root $work/nginx/files; sendfile on; tcp_nopush on;|" \
      -e "s|default_type application/json;|default_type application/octet-stream;|" \
      "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
  loadlab_port=$(free_port)
  start_loadlab "$loadlab_port" --threads "$threads"
  wait_port "$nginx_port"
  # With a seed, the body comes from the loop's cache of seeded streams (seed_streams.h); without
  # one, each response draws a fresh seed and generates its bytes: both are measured.
  for query in "?seed=1" ""; do
  echo "## 1. /bytes/1048576$query vs nginx 1 MiB static file (wrk -t1 -c10 -d${seconds}s, $rounds rounds, server --threads $threads)"
  ratios=()
  for round in $(seq "$rounds"); do
    l=$(wrk -t1 -c10 -d"${seconds}s" "http://127.0.0.1:$loadlab_port/bytes/1048576$query" | awk '/Transfer\/sec/ {print $2}')
    n=$(wrk -t1 -c10 -d"${seconds}s" "http://127.0.0.1:$nginx_port/1m.bin" | awk '/Transfer\/sec/ {print $2}')
    to_mib() { python3 -c "import sys; v=sys.argv[1]; u={'KB':1/1024,'MB':1,'GB':1024}; print(float(v[:-2])*u[v[-2:]])" "$1"; }
    lm=$(to_mib "$l"); nm=$(to_mib "$n")
    ratios+=("$(ratio "$lm" "$nm")")
    echo "round $round: loadlab $lm MiB/s, nginx $nm MiB/s, ratio ${ratios[-1]}"
  done
  echo "median ratio loadlab/nginx: $(printf '%s\n' "${ratios[@]}" | median)"
  done
fi

if want 2; then
  port=$(free_port)
  start_loadlab "$port" --threads "$threads"
  server_pid=$last_pid
  echo "## 2. 5000 concurrent /drip?bytes=1000&duration=10000 (loadgen -c5000 -n5000, server --threads $threads)"
  "$loadgen_bin" -c 5000 -n 5000 --timeout 60s --json "$work/drip.json" \
    "http://127.0.0.1:$port/drip?bytes=1000&duration=10000" > "$work/drip.txt" 2>&1 || true
  grep -E "requests|p50|p90|p99|max|error|status" "$work/drip.txt" | head -20
  echo "server VmHWM: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$server_pid/status")"
fi
