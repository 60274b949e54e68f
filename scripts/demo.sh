#!/usr/bin/env bash
# The README's demo command: installs, builds, starts loadlab-server on 127.0.0.1:8080 and
# replays the talk against it with loadlab-loadgen; the server then keeps running for your own
# clients until Ctrl-C (or exits at once with LOADLAB_DEMO_EXIT=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${LOADLAB_PORT:-8080}

bash "$root/scripts/install-deps.sh" build
bash "$root/scripts/build.sh" release
bin="$root/build/release"

"$bin/server/loadlab-server" --host 127.0.0.1 --port "$port" --log-level warn &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do
  "$bin/loadgen/loadlab-loadgen" probe "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.1
done
# It exits at once if it cannot listen (the port is taken): say so, not talk to whoever has it.
if ! kill -0 "$server" 2>/dev/null; then
  echo "demo: loadlab-server did not start (see its message above); LOADLAB_PORT=... picks another port" >&2
  exit 1
fi

reports="$root/reports"
mkdir -p "$reports"
echo
"$bin/loadgen/loadlab-loadgen" talk --html "$reports/talk.html" "http://127.0.0.1:$port"
echo
echo "--- and the CPU-bound half of the talk: /prime/N on the worker pool"
"$bin/loadgen/loadlab-loadgen" -n 200 -c 20 --html "$reports/prime.html" "http://127.0.0.1:$port/prime/1000000007"
echo
echo "HTML reports (plots, open offline): $reports/talk.html, $reports/prime.html"
if [ "${LOADLAB_DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
echo "loadlab-server is running at http://127.0.0.1:$port/ : try /250, /prime/97, /metrics,"
echo "or your own clients (examples/). Ctrl-C stops it."
wait $server
