#!/usr/bin/env bash
# HTTPS: loadlab-server against nginx in one run, on loopback only, the same P-256 certificate
# (made by the openssl CLI) for both.
#  1. keep-alive: GET /0 over one TLS 1.3 connection per wrk connection, loadlab --threads 1 vs
#     nginx 1 worker, wrk -t1 -c100, interleaved rounds, median ratio (target >= 1.0).
#  2. handshake-bound: the same with "Connection: close", a new TLS connection per request
#     (target >= 0.9).
# Each section runs pinned (server on core 1, wrk on core 0) and unpinned.
# Usage: bench/tls.sh [build-dir]   (default build/release; needs: bash scripts/install-deps.sh bench)
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

start_servers() {  # pin-prefix (empty or "taskset -c 1")
  nginx_port=$(free_port)
  mkdir -p "$work/nginx/tmp"
  sed -e "s/__PORT__/$nginx_port/" -e "s|__CERT__|$work/cert.pem|" -e "s|__KEY__|$work/key.pem|" \
    "$root/bench/nginx-tls.conf" > "$work/nginx/nginx.conf"
  $1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  pids+=($!)
  loadlab_port=$(free_port)
  local plain_port; plain_port=$(free_port)
  $1 "$server_bin" --host 127.0.0.1 --port "$plain_port" --tls-port "$loadlab_port" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --threads 1 --workers 1 \
    --log-level warn >/dev/null &
  pids+=($!)
  wait_port "$nginx_port"; wait_port "$loadlab_port"
}
stop_servers() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=(); }

section() {  # title, pinned (0/1), extra wrk args...
  local title=$1 pinned=$2; shift 2
  local wrk_pin="" server_pin=""
  if [ "$pinned" = 1 ]; then wrk_pin="taskset -c 0"; server_pin="taskset -c 1"; fi
  start_servers "$server_pin"
  echo "## $title, $([ "$pinned" = 1 ] && echo pinned || echo unpinned) (wrk -t1 -c100 -d${seconds}s $*, $rounds rounds)"
  local ratios=() a b
  for round in $(seq "$rounds"); do
    a=$($wrk_pin wrk -t1 -c100 -d"${seconds}s" "$@" "https://127.0.0.1:$loadlab_port/0" | wrk_rps)
    b=$($wrk_pin wrk -t1 -c100 -d"${seconds}s" "$@" "https://127.0.0.1:$nginx_port/0" | wrk_rps)
    ratios+=("$(ratio "$a" "$b")")
    echo "round $round: loadlab $a req/s, nginx $b req/s, ratio ${ratios[-1]}"
  done
  echo "median ratio loadlab/nginx: $(printf '%s\n' "${ratios[@]}" | median)"
  stop_servers
}

for pinned in 1 0; do
  want 1 && section "HTTPS /0 keep-alive" "$pinned"
  want 2 && section "HTTPS /0 handshake-bound" "$pinned" -H "Connection: close"
done
