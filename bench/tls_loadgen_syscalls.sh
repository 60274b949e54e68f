#!/usr/bin/env bash
# System calls per HTTPS request (issue 13): loadlab-loadgen vs wrk, each against nginx (native,
# 1 worker, TLS 1.3, P-256, bench/nginx-tls.conf), -t1 -c100 keep-alive GET /0, wrk sending the
# loadgen's User-Agent. Counted by the kernel's syscall tracepoints (perf stat, no slow-down as
# strace has), over the whole run, divided by its responses (the 100 handshakes are < 0.1 % of
# them). Counts of calls do not depend on the machine's load; the CPU seconds printed beside
# them (user + sys, per request) do, so read those only on a quiet machine.
# Usage: bench/tls_loadgen_syscalls.sh [build-dir]   SECONDS_PER_RUN=5
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_PER_RUN:-5}
ua="User-Agent: loadlab-loadgen/$("$loadgen_bin" --version | awk '{print $2}')"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed -e "s/__PORT__/$port/" -e "s|__CERT__|$work/cert.pem|" -e "s|__KEY__|$work/key.pem|" \
  "$root/bench/nginx-tls.conf" > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=($nginx_pid)
wait_port "$port"
url="https://127.0.0.1:$port/0"

per_request() {  # name, requests, perf-file
  python3 - "$@" <<'PY'
import sys
name, requests, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counts = {}
for line in open(path):
    f = line.strip().split(",")
    if len(f) < 3 or not f[0].replace(".", "").isdigit():
        continue
    event = f[2]
    counts[event] = float(f[0])
cpu = counts.pop("task-clock", 0.0) / 1e3  # task-clock is in msec
calls = {e.split("sys_enter_")[1]: n for e, n in counts.items() if "sys_enter_" in e and n > 0}
total = sum(calls.values())
detail = ", ".join(f"{e} {n / requests:.3f}" for e, n in sorted(calls.items(), key=lambda x: -x[1])
                   if n / requests >= 0.001)
print(f"{name}: {requests} responses, {total / requests:.3f} syscalls per response ({detail}); "
      f"{cpu * 1e6 / requests:.2f} us CPU per response")
PY
}

events="task-clock,syscalls:sys_enter_*"
run() {  # name, command...: the client under perf stat, and nginx under another for as long
  local name=$1; shift
  perf stat -x, -e "$events" -o "$work/nginx-$name.perf" -p "$nginx_pid" &
  local nginx_perf=$!
  sleep 0.2
  perf stat -x, -e "$events" -o "$work/$name.perf" -- "$@" > "$work/$name.out"
  kill -INT "$nginx_perf"; wait "$nginx_perf" || true
}
run loadgen "$loadgen_bin" -t1 -c100 -d"${seconds}s" --cacert "$work/cert.pem" \
  --json "$work/loadgen.json" -q "$url"
n=$(json_field '["requests"]["responses"]' < "$work/loadgen.json")
per_request loadlab-loadgen "$n" "$work/loadgen.perf"
per_request "  nginx driven by it" "$n" "$work/nginx-loadgen.perf"
run wrk wrk -t1 -c100 -d"${seconds}s" -H "$ua" "$url"
n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
per_request wrk "$n" "$work/wrk.perf"
per_request "  nginx driven by it" "$n" "$work/nginx-wrk.perf"
