# Shared helpers for the bench scripts (sourced, not run). Loopback only.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
server_bin=$build/server/loadlab-server
loadgen_bin=$build/loadgen/loadlab-loadgen
ulimit -n 20000

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
# Figures from tool outputs.
wrk_rps() { awk '/Requests\/sec/ {print $2}'; }
hey_rps() { awk '/Requests\/sec/ {print $2}'; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
# wrk --latency percentile in milliseconds: wrk_pct 99 < file
wrk_pct() {
  python3 -c 'import re, sys
scale = {"us": 0.001, "ms": 1, "s": 1000}
m = re.search(sys.argv[1] + r"%\s+([\d.]+)(us|ms|s)\b", sys.stdin.read())
print("%.2f" % (float(m.group(1)) * scale[m.group(2)]) if m else "nan")' "$1"
}
# Peak RSS in MiB of a command: peak_rss_mib OUTFILE cmd args...   (GNU time writes it to $work/rss)
peak_rss_run() { local out=$1; shift; /usr/bin/time -f %M -o "$work/rss" "$@" > "$out" 2>&1 || true; awk '{printf "%.1f", $1/1024}' "$work/rss"; }
# CPU seconds (user + system) a command used: cpu_run OUTFILE cmd args...
cpu_run() { local out=$1; shift; /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" > "$out" 2>&1 || true; awk '{print $1 + $2}' "$work/cpu"; }
# SECTIONS=1,3 runs only those sections of a script.
want() { [[ -z "${SECTIONS:-}" || ",$SECTIONS," == *",$1,"* ]]; }
start_loadlab() {  # port, extra args...: starts loadlab-server in the background, sets $last_pid
  local port=$1; shift
  "$server_bin" --host 127.0.0.1 --port "$port" --log-level warn "$@" >/dev/null &
  last_pid=$!
  pids+=($last_pid)
  wait_port "$port"
}
