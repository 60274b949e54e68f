#!/usr/bin/env bash
# The README's demo command: installs, builds, starts loadlab-server on 127.0.0.1:8080 and
# shows it working; Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${LOADLAB_PORT:-8080}

bash "$root/scripts/install-deps.sh" build
bash "$root/scripts/build.sh" release
bin="$root/build/release"

"$bin/server/loadlab-server" --host 127.0.0.1 --port "$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

echo "--- GET /100 (answers after 100 ms, without blocking anything else)"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /100 HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n' >&3
cat <&3
echo
echo "--- server running at http://127.0.0.1:$port/ : try /250, /healthz, /metrics. Ctrl-C stops it."
wait $server
