#!/usr/bin/env bash
# Memory a server spends on clients that pipeline requests and never read the answers
# (issue 16): N connections each send R pipelined `GET /metrics` (the largest answer, a few
# KB) and read nothing. Prints the server's RSS before, while they are connected, and after
# they have left (a second after, when the loops have returned freed memory), for ROUNDS rounds.
# Usage: bench/nonreading.sh [build-dir]   env: CONNECTIONS (500) REQUESTS (200) ROUNDS (3) SERVER_ARGS
set -euo pipefail
BUILD_DIR=${1:-${BUILD_DIR:-}}
source "$(dirname "$0")/lib.sh"
connections=${CONNECTIONS:-500}
requests=${REQUESTS:-200}
rounds=${ROUNDS:-3}

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

port=$(free_port)
# shellcheck disable=SC2086
start_loadlab "$port" --threads 2 --workers 1 ${SERVER_ARGS:-}
pid=$last_pid

echo "## Clients that never read: $connections connections x $requests pipelined GET /metrics, $rounds rounds"
echo "server: loadlab-server --threads 2 --workers 1 ${SERVER_ARGS:-} (RSS in MiB)"
echo "round  before  connected  queued-bytes  after-1s"
for round in $(seq "$rounds"); do
  before=$(rss_mib "$pid")
  # The clients: connect, send everything that fits, hold the sockets without reading.
  python3 - "$port" "$connections" "$requests" > "$work/clients.out" <<'PY' &
import socket, sys, time
port, n, r = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
burst = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * r
socks = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    socks.append([s, 0])
deadline = time.time() + 10
while time.time() < deadline and any(sent < len(burst) for _, sent in socks):
    for entry in socks:
        try:
            entry[1] += entry[0].send(burst[entry[1]:])
        except (BlockingIOError, OSError):
            pass
    time.sleep(0.05)
print("sent", sum(sent for _, sent in socks), flush=True)
time.sleep(1e9)  # hold the sockets until killed
PY
  clients=$!
  pids+=($clients)
  # Let the server take what it will (its RSS stops growing), then read the figures.
  sleep 12
  during=$(rss_mib "$pid")
  queued=$(python3 -c "
import urllib.request, re
body = urllib.request.urlopen('http://127.0.0.1:$port/metrics', timeout=10).read().decode()
print(re.search(r'\nloadlab_queued_response_bytes (\d+)', body).group(1))")
  kill "$clients"; wait "$clients" 2>/dev/null || true
  sleep 2.5  # the connections close, then the trim timer (1 s) runs
  after=$(rss_mib "$pid")
  printf '%5s  %6s  %9s  %12s  %8s\n' "$round" "$before" "$during" "$queued" "$after"
done
