#!/usr/bin/env bash
# Measures loadlab-server against nginx in one run, on loopback only.
#  1. /0 throughput: loadlab (--threads 1) vs nginx (1 worker), wrk -t1 -c100, interleaved
#     rounds, median ratio. wrk and the server are pinned to different cores.
#  2. Fan-in: 10000 connections on /1000 for 20 s: throughput vs the ideal 10000 req/s, p99,
#     server peak RSS; then the steady-state p99 (t = 5..15 s) from a loadlab-loadgen run's
#     per-second histograms, which wrk cannot give: its p99 includes the connection storm.
# Usage: bench/server.sh [build-dir]   (default build/release; needs: bash scripts/install-deps.sh bench)
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}
rps() { wrk_rps; }

nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed "s/__PORT__/$nginx_port/" "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"
taskset -c 1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=($nginx_pid)
loadlab_port=$(free_port)
taskset -c 1 "$server_bin" --host 127.0.0.1 --port "$loadlab_port" --threads 1 --workers 1 --log-level warn >/dev/null &
loadlab_pid=$!
pids+=($loadlab_pid)
wait_port "$nginx_port"; wait_port "$loadlab_port"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks
# One wrk run; prints "req/s cpu-us-per-request" for the server process $2.
measure() {
  local before after r
  before=$(cpu_ticks "$2")
  r=$(taskset -c 0 wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:$1/0" | rps)
  after=$(cpu_ticks "$2")
  python3 -c "print(f'$r {($after - $before) * 1e6 / $(getconf CLK_TCK) / ($r * $seconds):.2f}')"
}

echo "## /0 throughput, one event loop vs one nginx worker (wrk -t1 -c100 -d${seconds}s, $rounds rounds)"
echo "(server CPU per request is the client-independent figure: one wrk thread saturates its core first)"
ratios=(); cpu_ratios=()
for round in $(seq "$rounds"); do
  read -r a a_cpu < <(measure "$loadlab_port" "$loadlab_pid")
  read -r b b_cpu < <(measure "$nginx_port" "$nginx_pid")
  ratios+=("$(python3 -c "print(f'{$a/$b:.3f}')")")
  cpu_ratios+=("$(python3 -c "print(f'{$b_cpu/$a_cpu:.3f}')")")
  echo "round $round: loadlab $a req/s ($a_cpu us CPU/req), nginx $b req/s ($b_cpu us CPU/req)," \
       "throughput ratio ${ratios[-1]}, CPU efficiency ratio ${cpu_ratios[-1]}"
done
echo "median throughput ratio loadlab/nginx: $(printf '%s\n' "${ratios[@]}" | median)"
echo "median CPU-per-request ratio nginx/loadlab (>1: loadlab cheaper): $(printf '%s\n' "${cpu_ratios[@]}" | median)"

kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()

delay_count() {  # completed /N requests according to loadlab's own metrics
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^loadlab_http_requests_total\{route="delay",code="200"\}/ {print $2}'
}

fanin() {  # name, port, pid: 10000 connections on /1000 for 20 s
  # wrk's figure includes the first second, in which no /1000 can complete; the steady-state
  # rate comes from the server's counters between t=5 s and t=15 s (loadlab only).
  ( sleep 5; a=$(delay_count "$2"); sleep 10; b=$(delay_count "$2")
    [ -n "$a" ] && [ -n "$b" ] && echo "steady-state $(( (b - a) / 10 )) req/s (server counters, t=5..15 s)" ) \
    > "$work/steady-$1.txt" 2>/dev/null &
  wrk -t2 -c10000 -d20s --timeout 10s --latency "http://127.0.0.1:$2/1000" > "$work/fanin-$1.txt"
  wait $! 2>/dev/null || true
  python3 - "$1" "$(rps < "$work/fanin-$1.txt")" "$(awk '/VmHWM/ {print $2}' "/proc/$3/status")" "$work/fanin-$1.txt" <<'PY'
import re, sys
name, achieved, rss_kib, path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
text = open(path).read()
def pct(p):
    m = re.search(p + r"%\s+([\d.]+)(us|ms|s)\b", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
errors = re.search(r"Socket errors: (.*)", text)
print(f"{name:28s} {achieved:8.0f} req/s = {achieved/10000:.3f} of ideal; p50 {pct('50'):7.1f} ms; "
      f"p99 {pct('99'):7.1f} ms; peak RSS {rss_kib/1024:6.1f} MiB{'; ' + errors.group(1) if errors else ''}")
PY
  cat "$work/steady-$1.txt"
}

# p99 of the loadgen's per-second histograms from t=5 s to t=15 s, merged: the steady state,
# without the first second or two in which all 10 000 connections open and send at once.
steady_p99() {  # port
  "$loadgen_bin" -c10000 -t2 -d20s -q --json "$work/fanin-loadgen.json" "http://127.0.0.1:$1/1000" >/dev/null 2>&1 || true
  python3 - "$work/fanin-loadgen.json" <<'PY'
import json, math, sys
report = json.load(open(sys.argv[1]))
counts, digits = {}, 2
for interval in report["intervals"]:
    if 5 <= interval["t_s"] < 15:
        digits = interval["histogram"]["significant_digits"]
        for value, count in interval["histogram"]["buckets"]:
            counts[value] = counts.get(value, 0) + count
# HdrHistogram layout: 2^m sub-buckets (m = ceil(log2(2 * 10^digits))), so a bucket holding
# values of bit length b is 2^(b - m) wide (1 below that).
magnitude = math.ceil(math.log2(2 * 10 ** digits))
total, seen = sum(counts.values()), 0
for value in sorted(counts):
    seen += counts[value]
    if seen >= 0.99 * total:
        upper = value + (1 << max(0, value.bit_length() - magnitude))
        print(f"loadlab-loadgen -c10000 -t2: whole-run p99 {report['latency_us']['p99'] / 1000:.1f} ms; "
              f"steady-state (t=5..15 s, {total} requests) p99 in [{value / 1000:.1f}, {upper / 1000:.1f}) ms")
        break
PY
}

echo
echo "## fan-in: 10000 connections on /1000 for 20 s (wrk -t2 -c10000 --latency)"
for variant in "loadlab --threads 2" "loadlab --threads 1" "node"; do
  port=$(free_port)
  case "$variant" in
    node) node "$root/bench/node_delay_server.js" "$port" & ;;
    *) "$server_bin" --host 127.0.0.1 --port "$port" ${variant#loadlab } --log-level warn >/dev/null & ;;
  esac
  pid=$!
  pids+=($pid)
  wait_port "$port"
  fanin "$variant" "$port" "$pid"
  [ "$variant" = node ] || steady_p99 "$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
