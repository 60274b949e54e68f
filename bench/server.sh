#!/usr/bin/env bash
# Measures loadlab-server against nginx in one run, on loopback only.
#  1. /0 throughput: loadlab (--threads 1) vs nginx (1 worker), wrk -t1 -c100, interleaved
#     rounds, median ratio. wrk and the server are pinned to different cores.
#  2. Fan-in: 10000 connections on /1000 for 20 s: throughput vs the ideal 10000 req/s, p99,
#     server peak RSS.
# Usage: bench/server.sh [build-dir]   (default build/release; needs: bash scripts/install-deps.sh bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
server_bin=$build/server/loadlab-server
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}
ulimit -n 20000

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rps() { awk '/Requests\/sec/ {print $2}'; }

nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed "s/__PORT__/$nginx_port/" "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"
taskset -c 1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
loadlab_port=$(free_port)
taskset -c 1 "$server_bin" --host 127.0.0.1 --port "$loadlab_port" --threads 1 --workers 1 --log-level warn >/dev/null &
pids+=($!)
wait_port "$nginx_port"; wait_port "$loadlab_port"

echo "## /0 throughput, one event loop vs one nginx worker (wrk -t1 -c100 -d${seconds}s, $rounds rounds)"
ratios=()
for round in $(seq "$rounds"); do
  a=$(taskset -c 0 wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:$loadlab_port/0" | rps)
  b=$(taskset -c 0 wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:$nginx_port/0" | rps)
  ratio=$(python3 -c "print(f'{$a/$b:.3f}')")
  ratios+=("$ratio")
  echo "round $round: loadlab $a req/s, nginx $b req/s, ratio $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio loadlab/nginx: $median"

kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()

echo
echo "## fan-in: 10000 connections on /1000 for 20 s (wrk -t2 -c10000, loadlab default threads)"
"$server_bin" --host 127.0.0.1 --port "$loadlab_port" --log-level warn >/dev/null &
server_pid=$!
pids+=($server_pid)
wait_port "$loadlab_port"
wrk -t2 -c10000 -d20s --timeout 10s --latency "http://127.0.0.1:$loadlab_port/1000" > "$work/fanin.txt"
cat "$work/fanin.txt"
achieved=$(rps < "$work/fanin.txt")
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
python3 - "$achieved" "$rss_kib" "$work/fanin.txt" <<'PY'
import re, sys
achieved, rss_kib, path = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
text = open(path).read()
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
scale = {"us": 0.001, "ms": 1, "s": 1000}
p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
print(f"achieved {achieved:.0f} req/s = {achieved/10000:.3f} of ideal; p99 {p99_ms:.1f} ms; server peak RSS {rss_kib/1024:.1f} MiB")
PY
