#!/usr/bin/env bash
# A/B of two builds of loadlab in one run, on loopback only, for changes that must not cost
# speed (a refactor, a new endpoint beside /N). nginx (one worker) is measured in the same
# rounds, so each build's figure is also a ratio against a peer.
#  1. Server: /0 throughput and server CPU per request, --threads 1, wrk -t1 -c100; the two
#     servers and nginx take turns round by round. Pinned (wrk on core 0, servers on core 1)
#     and unpinned (where the scheduler puts them, as users run it).
#  2. Server: /prime/97 throughput (the worker pool's round trip), same shape.
#  3. Loadgen: throughput of each build's loadgen at -c100, one thread, against nginx, unpinned.
# Usage: bench/ab.sh BASE_BUILD_DIR NEW_BUILD_DIR   (needs: bash scripts/install-deps.sh bench)
# ROUNDS (default 5) and SECONDS_PER_ROUND (default 5); SECTIONS=1,3 runs only those.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BASE_BUILD_DIR NEW_BUILD_DIR" >&2; exit 2; }
base=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
BUILD_DIR=$new
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}

nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
sed "s/__PORT__/$nginx_port/" "$root/bench/nginx-server.conf" > "$work/nginx/nginx.conf"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks
# wrk_round PIN PORT PID PATH: "req/s us-CPU-per-request" of the server PID
wrk_round() {
  local before after r pin=()
  [ "$1" = pinned ] && pin=(taskset -c 0)
  before=$(cpu_ticks "$3")
  r=$("${pin[@]}" wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:$2$4" | wrk_rps)
  after=$(cpu_ticks "$3")
  python3 -c "print(f'$r {($after - $before) * 1e6 / $(getconf CLK_TCK) / ($r * $seconds):.2f}')"
}

server_section() {  # PIN PATH: base vs new vs nginx, interleaved rounds
  local pin=$1 path=$2 pin_server=() ratio_tp=() ratio_cpu=() vs_nginx_base=() vs_nginx_new=()
  [ "$pin" = pinned ] && pin_server=(taskset -c 1)
  "${pin_server[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & local nginx_pid=$!
  local base_port new_port
  base_port=$(free_port); new_port=$(free_port)
  "${pin_server[@]}" "$base/server/loadlab-server" --host 127.0.0.1 --port "$base_port" --threads 1 \
    --workers 1 --log-level warn >/dev/null & local base_pid=$!
  "${pin_server[@]}" "$new/server/loadlab-server" --host 127.0.0.1 --port "$new_port" --threads 1 \
    --workers 1 --log-level warn >/dev/null & local new_pid=$!
  pids+=("$nginx_pid" "$base_pid" "$new_pid")
  wait_port "$nginx_port"; wait_port "$base_port"; wait_port "$new_port"
  echo "## $path, $pin (wrk -t1 -c100 -d${seconds}s, $rounds rounds; nginx serves $path as a static reply)"
  for round in $(seq "$rounds"); do
    # Odd rounds measure base first, even rounds new first: neither build always runs warm.
    if (( round % 2 )); then
      read -r a a_cpu < <(wrk_round "$pin" "$base_port" "$base_pid" "$path")
      read -r b b_cpu < <(wrk_round "$pin" "$new_port" "$new_pid" "$path")
    else
      read -r b b_cpu < <(wrk_round "$pin" "$new_port" "$new_pid" "$path")
      read -r a a_cpu < <(wrk_round "$pin" "$base_port" "$base_pid" "$path")
    fi
    read -r n _ < <(wrk_round "$pin" "$nginx_port" "$nginx_pid" /0)
    ratio_tp+=("$(ratio "$b" "$a")"); ratio_cpu+=("$(ratio "$a_cpu" "$b_cpu")")
    vs_nginx_base+=("$(ratio "$a" "$n")"); vs_nginx_new+=("$(ratio "$b" "$n")")
    echo "round $round: base $a req/s ($a_cpu us CPU/req), new $b req/s ($b_cpu us CPU/req), nginx $n req/s"
  done
  echo "median new/base throughput: $(printf '%s\n' "${ratio_tp[@]}" | median);" \
       "CPU per request base/new (>1: new cheaper): $(printf '%s\n' "${ratio_cpu[@]}" | median)"
  echo "median vs nginx: base $(printf '%s\n' "${vs_nginx_base[@]}" | median)," \
       "new $(printf '%s\n' "${vs_nginx_new[@]}" | median)"
  kill "$nginx_pid" "$base_pid" "$new_pid" 2>/dev/null || true
  wait "$nginx_pid" "$base_pid" "$new_pid" 2>/dev/null || true
  pids=()
}

if want 1; then server_section pinned /0; echo; server_section unpinned /0; echo; fi
if want 2; then server_section unpinned /prime/97; echo; fi

if want 3; then
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & nginx_pid=$!
  pids+=("$nginx_pid")
  wait_port "$nginx_port"
  loadgen_rps() { "$1/loadgen/loadlab-loadgen" -c100 -t1 -d"${seconds}s" --json - -q \
                    "http://127.0.0.1:$nginx_port/0" | json_field '["throughput_rps"]'; }
  echo "## loadgen -c100 -t1 -d${seconds}s against nginx, unpinned ($rounds rounds), wrk alongside"
  tp=(); vs_wrk_base=(); vs_wrk_new=()
  for round in $(seq "$rounds"); do
    if (( round % 2 )); then a=$(loadgen_rps "$base"); b=$(loadgen_rps "$new")
    else b=$(loadgen_rps "$new"); a=$(loadgen_rps "$base"); fi
    w=$(wrk -t1 -c100 -d"${seconds}s" "http://127.0.0.1:$nginx_port/0" | wrk_rps)
    tp+=("$(ratio "$b" "$a")"); vs_wrk_base+=("$(ratio "$a" "$w")"); vs_wrk_new+=("$(ratio "$b" "$w")")
    echo "round $round: base loadgen $a req/s, new loadgen $b req/s, wrk $w req/s"
  done
  echo "median new/base throughput: $(printf '%s\n' "${tp[@]}" | median);" \
       "vs wrk: base $(printf '%s\n' "${vs_wrk_base[@]}" | median), new $(printf '%s\n' "${vs_wrk_new[@]}" | median)"
fi
