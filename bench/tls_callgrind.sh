#!/usr/bin/env bash
# Instructions per HTTPS request under callgrind (issue 13): repeatable on a busy machine, where
# req/s are not. Loopback only; wrk -t1 -c100 keep-alive, GET /0, TLS 1.3, one P-256 certificate.
#  server:  loadlab-server (--threads 1) vs nginx (1 worker), each under callgrind, wrk native.
#  loadgen: loadlab-loadgen vs wrk, each under callgrind, against nginx (native, 1 worker).
# Instrumentation starts after WARMUP seconds (the 100 handshakes are over by then, even under callgrind) and stops
# WINDOW seconds later; the figure is the instructions of the measured process in that window
# divided by the calls of a function that runs once per request:
#   loadlab-server: llhttp__on_message_complete   nginx: ngx_http_process_request
#   loadlab-loadgen: ClientConnection::complete_response   wrk: stats_record (its response_complete
#   is inlined; stats_record also runs 10 times a second for the rate: negligible)
#  plain:   loadlab-server on its plain HTTP port, the same way (the TLS work must not slow it).
#  nginx:   what each client's requests cost nginx (under callgrind, per ngx_http_process_request):
#           the loadgen, wrk, and wrk sending the loadgen's User-Agent.
# Usage: bench/tls_callgrind.sh [build-dir]   SECTIONS=server,plain,loadgen,nginx   WARMUP=8 WINDOW=8
#        CALLGRIND_ARGS=--cache-sim=yes adds the simulated cache misses per request.
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
warmup=${WARMUP:-8}
window=${WINDOW:-8}
per_call() { python3 "$root/bench/callgrind_per_call.py" "$@"; }
ua="User-Agent: loadlab-loadgen/$("$loadgen_bin" --version | awk '{print $2}')"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

nginx_conf() {  # port
  mkdir -p "$work/nginx/tmp"
  sed -e "s/__PORT__/$1/" -e "s|__CERT__|$work/cert.pem|" -e "s|__KEY__|$work/key.pem|" \
    "$root/bench/nginx-tls.conf" > "$work/nginx/nginx.conf"
}
grind() {  # out-file, command...: runs it under callgrind with instrumentation off, sets $last_pid
  local out=$1; shift
  valgrind --tool=callgrind --instr-atstart=no ${CALLGRIND_ARGS:-} --callgrind-out-file="$out" "$@" \
    >/dev/null 2>"$out.log" &
  last_pid=$!
  pids+=($last_pid)
}
measure_window() {  # pid: instruments it for $window seconds after $warmup
  sleep "$warmup"
  callgrind_control -i on "$1" >/dev/null 2>&1
  sleep "$window"
  callgrind_control -i off "$1" >/dev/null 2>&1
}
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
under_wrk() {  # server-pid, port, url: wrk through the warm-up and the window, then the server stops
  wait_port "$2"; sleep 1
  wrk -t1 -c100 -d"$((warmup + window + 2))s" "$3" >/dev/null &
  local wrk_pid=$!
  measure_window "$1"; wait "$wrk_pid"; stop "$1"
}

if want server; then
  echo "## server: instructions per request, wrk -t1 -c100 keep-alive GET /0 (native wrk)"
  port=$(free_port); plain=$(free_port)
  grind "$work/loadlab.cg" "$server_bin" --host 127.0.0.1 --port "$plain" --tls-port "$port" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --threads 1 --workers 1 --log-level warn
  under_wrk "$last_pid" "$port" "https://127.0.0.1:$port/0"
  echo "loadlab-server: $(per_call "$work/loadlab.cg" llhttp__on_message_complete)"
  port=$(free_port); nginx_conf "$port"
  grind "$work/nginx.cg" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
  under_wrk "$last_pid" "$port" "https://127.0.0.1:$port/0"
  echo "nginx:          $(per_call "$work/nginx.cg" ngx_http_process_request)"
  cp "$work/loadlab.cg" "$work/nginx.cg" "${KEEP:-$work}/" 2>/dev/null || true
fi

if want plain; then
  echo "## server, plain HTTP: instructions per request, wrk -t1 -c100 keep-alive GET /0"
  port=$(free_port)
  grind "$work/plain.cg" "$server_bin" --host 127.0.0.1 --port "$port" --threads 1 --workers 1 \
    --log-level warn
  under_wrk "$last_pid" "$port" "http://127.0.0.1:$port/0"
  echo "loadlab-server plain: $(per_call "$work/plain.cg" llhttp__on_message_complete)"
  cp "$work/plain.cg" "${KEEP:-$work}/" 2>/dev/null || true
fi

if want loadgen; then
  echo "## loadgen: instructions per request against nginx (native, 1 worker), -t1 -c100 keep-alive"
  port=$(free_port); nginx_conf "$port"
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  pids+=($!)
  wait_port "$port"
  seconds=$((warmup + window + 2))
  grind "$work/loadgen.cg" "$loadgen_bin" -t1 -c100 -d"${seconds}s" --cacert "$work/cert.pem" -q \
    "https://127.0.0.1:$port/0"
  client=$last_pid
  measure_window "$client"; wait "$client" || true
  echo "loadlab-loadgen: $(per_call "$work/loadgen.cg" 'loadlab::loadgen::ClientConnection::complete_response')"
  grind "$work/wrk.cg" wrk -t1 -c100 -d"${seconds}s" -H "$ua" "https://127.0.0.1:$port/0"
  client=$last_pid
  measure_window "$client"; wait "$client" || true
  echo "wrk:             $(per_call "$work/wrk.cg" stats_record)"
  cp "$work/loadgen.cg" "$work/wrk.cg" "${KEEP:-$work}/" 2>/dev/null || true
fi

if want nginx; then
  echo "## nginx: its instructions per request, by client (-t1 -c100 keep-alive, native clients)"
  seconds=$((warmup + window + 2))
  for client in loadgen wrk wrk-ua; do
    port=$(free_port); nginx_conf "$port"
    grind "$work/nginx-$client.cg" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
    server=$last_pid
    wait_port "$port"; sleep 1
    case $client in
      loadgen) "$loadgen_bin" -t1 -c100 -d"${seconds}s" --cacert "$work/cert.pem" -q \
                 "https://127.0.0.1:$port/0" >/dev/null & ;;
      wrk) wrk -t1 -c100 -d"${seconds}s" "https://127.0.0.1:$port/0" >/dev/null & ;;
      wrk-ua) wrk -t1 -c100 -d"${seconds}s" -H "$ua" "https://127.0.0.1:$port/0" >/dev/null & ;;
    esac
    client_pid=$!
    measure_window "$server"; wait "$client_pid" || true; stop "$server"
    printf 'nginx driven by %-8s %s\n' "$client:" "$(per_call "$work/nginx-$client.cg" ngx_http_process_request)"
  done
fi
