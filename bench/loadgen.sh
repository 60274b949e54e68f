#!/usr/bin/env bash
# Measures loadlab-loadgen against wrk and hey in one run, on loopback only.
#  1. Throughput at -c100, one client thread, against nginx (one worker): interleaved rounds,
#     median ratios. Client on core 0, nginx on core 1.
#  1u. The same, unpinned: client and nginx go where the scheduler puts them (as a user runs it).
#  2. 10000 connections on loadlab-server's /1000 for 10 s: throughput and client peak RSS,
#     loadgen vs wrk (one thread each).
#  3. p50 on /100 at -c100 for 10 s: loadgen vs wrk.
#  4. A stalled server (SIGSTOP for 1 s in a 6 s run): what wrk reports vs the loadgen's open
#     loop (--rate), whose latency counts from each request's scheduled start.
# Usage: bench/loadgen.sh [build-dir]   (needs: bash scripts/install-deps.sh bench)
# SECTIONS=1,1u runs those sections only; ROUNDS, SECONDS_PER_ROUND set section 1 and 1u.
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}

loadgen_rps() { "$loadgen_bin" "$@" --json - -q | json_field '["throughput_rps"]'; }

nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed "s/__PORT__/$nginx_port/" "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=($nginx_pid)
wait_port "$nginx_port"
url="http://127.0.0.1:$nginx_port/0"

# throughput_rounds PINNED: section 1 (PINNED=1: client on core 0, nginx on core 1) or 1u
# (PINNED=0: both free to run on either core). nginx is one process: its affinity is set per section.
throughput_rounds() {
  local pinned=$1 client=()
  if [[ $pinned == 1 ]]; then
    client=(taskset -c 0); taskset -p -c 1 "$nginx_pid" >/dev/null
  else
    taskset -p -c 0-"$(($(nproc) - 1))" "$nginx_pid" >/dev/null
  fi
  local vs_wrk=() vs_hey=() cpu_wrk=() cpu_hey=() round lc l wc w hc h lu wu hu
  for round in $(seq "$rounds"); do
    lc=$(cpu_run "$work/l.json" "${client[@]}" "$loadgen_bin" -t1 -c100 -d"${seconds}s" --json - -q "$url")
    l=$(json_field '["throughput_rps"]' < "$work/l.json")
    wc=$(cpu_run "$work/w.txt" "${client[@]}" wrk -t1 -c100 -d"${seconds}s" "$url")
    w=$(wrk_rps < "$work/w.txt")
    hc=$(cpu_run "$work/h.txt" "${client[@]}" hey -c 100 -z "${seconds}s" -cpus 1 "$url")
    h=$(hey_rps < "$work/h.txt")
    # microseconds of client CPU per request
    lu=$(python3 -c "print(f'{$lc * 1e6 / ($l * $seconds):.2f}')")
    wu=$(python3 -c "print(f'{$wc * 1e6 / ($w * $seconds):.2f}')")
    hu=$(python3 -c "print(f'{$hc * 1e6 / ($h * $seconds):.2f}')")
    vs_wrk+=("$(ratio "$l" "$w")"); vs_hey+=("$(ratio "$l" "$h")")
    cpu_wrk+=("$(ratio "$wu" "$lu")"); cpu_hey+=("$(ratio "$hu" "$lu")")
    printf 'round %s: loadgen %.0f req/s (%s us CPU/req), wrk %.0f req/s (%s), hey %.0f req/s (%s); loadgen/wrk %s, loadgen/hey %s\n' \
      "$round" "$l" "$lu" "$w" "$wu" "$h" "$hu" "${vs_wrk[-1]}" "${vs_hey[-1]}"
  done
  echo "median throughput loadgen/wrk: $(printf '%s\n' "${vs_wrk[@]}" | median)"
  echo "median throughput loadgen/hey: $(printf '%s\n' "${vs_hey[@]}" | median)"
  echo "median CPU-per-request wrk/loadgen (>1: loadgen cheaper): $(printf '%s\n' "${cpu_wrk[@]}" | median)"
  echo "median CPU-per-request hey/loadgen: $(printf '%s\n' "${cpu_hey[@]}" | median)"
}

if want 1; then
echo "## 1. throughput against nginx (1 worker), -c100, one client thread, ${seconds}s x $rounds rounds, pinned"
echo "(client CPU per request is the steadier figure: nginx's core is the shared bottleneck)"
throughput_rounds 1
fi

if want 1u; then
echo
echo "## 1u. the same, unpinned (client and nginx share both cores as the scheduler decides)"
throughput_rounds 0
fi

port=$(free_port)
start_loadlab "$port" --threads 2 --max-connections 19000

if want 2; then
echo
echo "## 2. 10000 connections on loadlab-server /1000 for 10 s (one client thread each)"
rss=$(peak_rss_run "$work/lg10k.json" "$loadgen_bin" -t1 -c10000 -d10s --timeout 10s --json - -q "http://127.0.0.1:$port/1000")
printf 'loadgen: %.0f req/s, p99 %.1f ms, errors %s, peak RSS %s MiB\n' \
  "$(json_field '["throughput_rps"]' < "$work/lg10k.json")" \
  "$(json_field '["latency_us"]["p99"]/1000' < "$work/lg10k.json")" \
  "$(json_field '["requests"]["errors"]' < "$work/lg10k.json")" "$rss"
lg_rss=$rss
rss=$(peak_rss_run "$work/wrk10k.txt" wrk -t1 -c10000 -d10s --timeout 10s --latency "http://127.0.0.1:$port/1000")
printf 'wrk:     %.0f req/s, p99 %s ms, peak RSS %s MiB %s\n' "$(wrk_rps < "$work/wrk10k.txt")" \
  "$(wrk_pct 99 < "$work/wrk10k.txt")" "$rss" "$(grep -o 'Socket errors.*' "$work/wrk10k.txt" || true)"
echo "peak RSS loadgen/wrk: $(ratio "$lg_rss" "$rss")"
fi

if want 3; then
echo
echo "## 3. p50 on /100, -c100, 10 s"
l=$("$loadgen_bin" -t1 -c100 -d10s --json - -q "http://127.0.0.1:$port/100" | json_field '["latency_us"]["p50"]/1000')
w=$(wrk -t1 -c100 -d10s --latency "http://127.0.0.1:$port/100" | wrk_pct 50)
printf 'loadgen p50 %.2f ms, wrk p50 %.2f ms, difference %.2f ms\n' "$l" "$w" "$(python3 -c "print($l - $w)")"
fi

want 4 || exit 0
echo
echo "## 4. a 1 s server stall (SIGSTOP at t=2 s) in a 6 s run on /1, 50 connections"
stall() { sleep 2; kill -STOP "$last_pid"; sleep 1; kill -CONT "$last_pid"; }
with_stall() { stall & local stall_pid=$!; "$@"; wait "$stall_pid"; }
with_stall wrk -t1 -c50 -d6s --latency "http://127.0.0.1:$port/1" > "$work/wrk-stall.txt"
printf 'wrk (closed loop, corrected after the fact): %s requests; p50 %s ms, p99 %s ms\n' \
  "$(awk '/requests in/ {print $1}' "$work/wrk-stall.txt")" "$(wrk_pct 50 < "$work/wrk-stall.txt")" \
  "$(wrk_pct 99 < "$work/wrk-stall.txt")"
with_stall hey -c 50 -z 6s -cpus 1 "http://127.0.0.1:$port/1" > "$work/hey-stall.txt"
python3 - "$work/hey-stall.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
pct = lambda p: float(re.search(rf"{p}% in ([\d.]+) secs", text).group(1)) * 1000
total = re.search(r"\[200\]\s+(\d+) responses", text)
print(f"hey (closed loop, uncorrected):             {total.group(1) if total else '?'} requests; p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms")
PY
with_stall "$loadgen_bin" -c 50 -d6s --json - -q "http://127.0.0.1:$port/1" > "$work/lg-closed-stall.json"
with_stall "$loadgen_bin" --rate 2000 -c 50 -d6s --json - -q "http://127.0.0.1:$port/1" > "$work/lg-stall.json"
python3 - "$work/lg-closed-stall.json" "$work/lg-stall.json" <<'PY'
import json, sys
c, o = (json.load(open(p)) for p in sys.argv[1:3])
ms = lambda us: us / 1000
print(f"loadgen -c 50 (closed loop):                {c['requests']['total']} requests; p50 {ms(c['latency_us']['p50']):.2f} ms, "
      f"p99 {ms(c['latency_us']['p99']):.2f} ms, p99.9 {ms(c['latency_us']['p99_9']):.1f} ms")
l, s = o["latency_us"], o["service_us"]
print(f"loadgen --rate 2000 (open loop, corrected): {o['requests']['total']} requests; p50 {ms(l['p50']):.2f} ms, "
      f"p99 {ms(l['p99']):.1f} ms, p99.9 {ms(l['p99_9']):.1f} ms; {o['rate']['late_starts']} started late")
print(f"  same run, service time (uncorrected):     p50 {ms(s['p50']):.2f} ms, p99 {ms(s['p99']):.2f} ms, p99.9 {ms(s['p99_9']):.1f} ms")
PY
