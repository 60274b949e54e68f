#!/usr/bin/env bash
# Syscalls and context switches per HTTPS request (issue 13): loadlab-server (--threads 1) vs
# nginx (1 worker), TLS 1.3, the same P-256 certificate, wrk -t1 -c100 keep-alive GET /0, all
# native. Each server runs under `perf stat` (syscall tracepoints: no slowdown, unlike strace)
# for its whole life: start-up, 100 handshakes (~1 % of the counts) and SECONDS of requests,
# which the server's own counter gives at the end (loadlab /metrics on its plain port, nginx
# stub_status on a plain port of its own). Counts, not timings: repeatable on a busy machine.
# Usage: bench/tls_syscalls.sh [build-dir]   SECONDS_PER_RUN=4   (needs perf with tracepoints)
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_PER_RUN:-4}
events=task-clock,context-switches
for call in read write recvfrom sendto readv writev epoll_wait epoll_ctl mprotect brk mmap munmap; do
  events+=",syscalls:sys_enter_$call"
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

loadlab_requests() {  # plain-port: requests answered so far
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^loadlab_http_requests_total\{route="delay"/ {s += $2} END {print s + 0}'
}
nginx_requests() { curl -s "http://127.0.0.1:$1/status" | awk 'NR == 3 {print $3}'; }

measure() {  # name, tls-port, counter, counter-port, perf-pid
  local name=$1 port=$2 counter=$3 counter_port=$4 pid=$5
  wait_port "$port"
  wrk -t1 -c100 -d"${seconds}s" "https://127.0.0.1:$port/0" >/dev/null
  local requests; requests=$(($($counter "$counter_port") - 1))  # less the counter's own
  # perf stat writes its counts once its command exits: stop the server, not perf.
  kill -INT "$(pgrep -P "$pid")"; wait "$pid" 2>/dev/null || true
  echo "$name: $requests requests"
  awk -F, -v n="$requests" '$1 ~ /^[0-9.]+$/ && $1 > 0 {
      name = $3; sub("syscalls:sys_enter_", "", name)
      if (name == "task-clock") { name = "task-clock (us)"; $1 *= 1000 }
      printf "  %-18s %8.4f per request\n", name, $1 / n
    }' "$work/$name.perf"
}

port=$(free_port); plain=$(free_port)
perf stat -x, -e "$events" -o "$work/loadlab-server.perf" -- "$server_bin" --host 127.0.0.1 \
  --port "$plain" --tls-port "$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --threads 1 --workers 1 --log-level warn >/dev/null &
pids+=($!)
measure loadlab-server "$port" loadlab_requests "$plain" "$!"

port=$(free_port); status=$(free_port)
mkdir -p "$work/nginx/tmp"
sed -e "s/__PORT__/$port/" -e "s|__CERT__|$work/cert.pem|" -e "s|__KEY__|$work/key.pem|" \
  "$root/bench/nginx-tls.conf" | sed '$d' > "$work/nginx/nginx.conf"  # its closing brace
printf '  server {\n    listen 127.0.0.1:%s;\n    location = /status { stub_status; }\n  }\n}\n' \
  "$status" >> "$work/nginx/nginx.conf"
perf stat -x, -e "$events" -o "$work/nginx.perf" -- nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
measure nginx "$port" nginx_requests "$status" "$!"
