#!/usr/bin/env bash
# The loadgen over HTTPS (issue 13), on loopback only: loadlab-loadgen vs wrk and vs h2load's
# HTTP/1.1-over-TLS mode (h2load --h1), against nginx (one worker, TLS 1.3, a P-256
# self-signed certificate made with the openssl CLI), -c100, one client thread, keep-alive,
# every client sending the same request (the loadgen's User-Agent included).
# Interleaved rounds, median ratios; pinned (client on core 0, nginx on core 1) and unpinned.
#  3. A new connection per request (--no-keepalive): the loadgen's resumed vs full handshakes
#     (no peer here: wrk and h2load have no per-request reconnect with resumption to compare).
# Usage: bench/tls_loadgen.sh [build-dir]   (needs: bash scripts/install-deps.sh bench)
# SECTIONS=1,1u,3 picks sections; ROUNDS, SECONDS_PER_ROUND set the rounds.
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }

# The certificate: P-256, self-signed, for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed -e "s/__PORT__/$nginx_port/" \
    -e "s|listen 127.0.0.1:$nginx_port reuseport;|listen 127.0.0.1:$nginx_port ssl reuseport;\n    ssl_certificate $work/cert.pem;\n    ssl_certificate_key $work/key.pem;\n    ssl_protocols TLSv1.3;\n    ssl_session_tickets on;\n    ssl_session_cache shared:SSL:1m;|" \
    "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=($nginx_pid)
wait_port "$nginx_port"
url="https://127.0.0.1:$nginx_port/0"
# The same request from every client. The loadgen sends a User-Agent; nginx's browser detection
# on it costs nginx ~1 800 instructions a request, 7 % of its cost, which with nginx the busier
# side showed as a 7 % gap to wrk, which sends none (callgrind: SECTIONS=nginx
# bench/tls_callgrind.sh). So wrk and h2load (which sends its own) send the loadgen's.
ua="User-Agent: loadlab-loadgen/$("$loadgen_bin" --version | awk '{print $2}')"
h2load_rps() { awk '/^finished in/ {for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) {print $(i-1); exit}}'; }

rounds_against_nginx() {
  local pinned=$1 client=()
  if [[ $pinned == 1 ]]; then
    client=(taskset -c 0); taskset -p -c 1 "$nginx_pid" >/dev/null
  else
    taskset -p -c 0-"$(($(nproc) - 1))" "$nginx_pid" >/dev/null
  fi
  local vs_wrk=() vs_h2=() round l w h
  for round in $(seq "$rounds"); do
    l=$("${client[@]}" "$loadgen_bin" -t1 -c100 -d"${seconds}s" --cacert "$work/cert.pem" --json - -q "$url" | json_field '["throughput_rps"]')
    w=$("${client[@]}" wrk -t1 -c100 -d"${seconds}s" -H "$ua" "$url" | wrk_rps)
    h=$("${client[@]}" h2load --h1 -t1 -c100 -D"$seconds" -H "$ua" "$url" 2>/dev/null | h2load_rps)
    vs_wrk+=("$(ratio "$l" "$w")"); vs_h2+=("$(ratio "$l" "$h")")
    printf 'round %s: loadgen %.0f req/s, wrk %.0f req/s, h2load --h1 %.0f req/s; loadgen/wrk %s, loadgen/h2load %s\n' \
      "$round" "$l" "$w" "$h" "${vs_wrk[-1]}" "${vs_h2[-1]}"
  done
  echo "median throughput loadgen/wrk: $(printf '%s\n' "${vs_wrk[@]}" | median)"
  echo "median throughput loadgen/h2load: $(printf '%s\n' "${vs_h2[@]}" | median)"
}

if want 1; then
  echo "## 1. HTTPS keep-alive against nginx (1 worker, TLS 1.3, P-256), -c100, one client thread, ${seconds}s x $rounds rounds, pinned"
  rounds_against_nginx 1
fi
if want 1u; then
  echo
  echo "## 1u. the same, unpinned"
  rounds_against_nginx 0
fi
if want 3; then
  echo
  echo "## 3. a new connection per request (--no-keepalive), -c100: resumed vs full handshakes, unpinned"
  taskset -p -c 0-"$(($(nproc) - 1))" "$nginx_pid" >/dev/null
  for round in $(seq "$rounds"); do
    r=$("$loadgen_bin" -t1 -c100 -d"${seconds}s" --no-keepalive --cacert "$work/cert.pem" --json - -q "$url")
    f=$("$loadgen_bin" -t1 -c100 -d"${seconds}s" --no-keepalive --no-tls-resume --cacert "$work/cert.pem" --json - -q "$url")
    printf 'round %s: resumed %.0f req/s (%s of %s handshakes resumed), full %.0f req/s\n' "$round" \
      "$(json_field '["throughput_rps"]' <<< "$r")" "$(json_field '["tls"]["resumed"]' <<< "$r")" \
      "$(json_field '["tls"]["handshakes"]' <<< "$r")" "$(json_field '["throughput_rps"]' <<< "$f")"
  done
fi
