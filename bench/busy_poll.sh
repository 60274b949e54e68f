#!/usr/bin/env bash
# Busy polling (--busy-poll-us, common/busy_poll.h), on loopback only, pinned (client on core 0,
# server on core 1), HTTPS keep-alive GET /0, -c100, one client thread, 5 s per run:
#  1. the loadgen with --busy-poll-us 0 and 50, and wrk, against nginx (1 worker, TLS 1.3):
#     throughput, and how often nginx's core woke the client (sched_waking on core 1 per
#     response) and the client's core took the interrupt for it;
#  2. loadlab-server with --busy-poll-us 0 and 50, under wrk: throughput, wrk's CPU time per
#     request, and how often wrk's core woke the server.
# The wake-up counts come from the kernel's tracepoints (perf stat -C, no slow-down) and do not
# depend much on the machine's load; the throughputs do, so read those on a quiet machine.
# Usage: bench/busy_poll.sh [build-dir]   ROUNDS (default 3), SECTIONS=1,2
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
seconds=5
ua="User-Agent: loadlab-loadgen/$("$loadgen_bin" --version | awk '{print $2}')"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
events=sched:sched_waking,irq_vectors:call_function_single_entry

# Runs a client command on core 0 under /usr/bin/time while perf counts both cores' events;
# leaves $work/core0, $work/core1, $work/cpu and $work/out.
measured() {
  perf stat -x, -e "$events" -C 0 -o "$work/core0" -- sleep "$seconds" &
  local p0=$!
  perf stat -x, -e "$events" -C 1 -o "$work/core1" -- sleep "$seconds" &
  local p1=$!
  taskset -c 0 /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" > "$work/out"
  wait "$p0" "$p1"
}
# One line: name, responses; per response: wakings on each core, the wake-up interrupts each
# core took, the client's CPU microseconds.
line() {
  python3 - "$1" "$2" "$work/core0" "$work/core1" "$work/cpu" "$seconds" <<'PY'
import sys
name, n, f0, f1, cpu, seconds = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6], float(sys.argv[6])
def counts(path):
    d = {}
    for row in open(path):
        f = row.strip().split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            d[f[2].split(":")[1]] = float(f[0])
    return d
c0, c1 = counts(f0), counts(f1)
u, s = map(float, open(cpu).read().split())
print(f"{name}: {n / seconds:.0f} req/s; per response: core 1 woke a thread {c1['sched_waking'] / n:.3f}, "
      f"core 0 woke a thread {c0['sched_waking'] / n:.3f}; wake-up interrupts taken by core 0 "
      f"{c0['call_function_single_entry'] / n:.3f}, by core 1 {c1['call_function_single_entry'] / n:.3f}; "
      f"client CPU {(u + s) * 1e6 / n:.2f} us")
PY
}

if want 1; then
  echo "## 1. the loadgen and wrk against nginx (core 1), ${seconds}s x $rounds rounds"
  port=$(free_port)
  mkdir -p "$work/nginx/tmp"
  sed -e "s/__PORT__/$port/" -e "s|__CERT__|$work/cert.pem|" -e "s|__KEY__|$work/key.pem|" \
    "$root/bench/nginx-tls.conf" > "$work/nginx/nginx.conf"
  taskset -c 1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
  pids+=($nginx_pid)
  wait_port "$port"
  for round in $(seq "$rounds"); do
    for limit in 0 50; do
      measured "$loadgen_bin" -t1 -c100 -d"${seconds}s" --busy-poll-us "$limit" --no-scrape \
        --cacert "$work/cert.pem" --json - -q "https://127.0.0.1:$port/0"
      line "round $round loadgen --busy-poll-us $limit" "$(json_field '["requests"]["responses"]' < "$work/out")"
    done
    measured wrk -t1 -c100 -d"${seconds}s" -H "$ua" "https://127.0.0.1:$port/0"
    line "round $round wrk" "$(awk '/requests in/ {print $1}' "$work/out")"
  done
  kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
fi

if want 2; then
  echo
  echo "## 2. loadlab-server (core 1) under wrk, ${seconds}s x $rounds rounds"
  for round in $(seq "$rounds"); do
    for limit in 0 50; do
      port=$(free_port)
      plain_port=$(free_port)
      while [ "$plain_port" = "$port" ]; do plain_port=$(free_port); done
      taskset -c 1 "$server_bin" --host 127.0.0.1 --port "$plain_port" --tls-port "$port" \
        --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --threads 1 --workers 1 \
        --busy-poll-us "$limit" --log-level warn >/dev/null &
      server_pid=$!
      pids+=($server_pid)
      wait_port "$port"
      measured wrk -t1 -c100 -d"${seconds}s" "https://127.0.0.1:$port/0"
      line "round $round server --busy-poll-us $limit, wrk" "$(awk '/requests in/ {print $1}' "$work/out")"
      kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    done
  done
fi
