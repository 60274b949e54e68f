#!/usr/bin/env bash
# What scraping loadlab-server's /metrics every second costs its throughput on /0 (issue 15's
# figure: < 1 %). loadlab-server --threads 1; rounds alternate between the two arms, and each
# figure is the ratio of the arms' medians within this one run (the machine may be shared).
#  1. The loadgen as load and scraper: loadlab-loadgen -c 100 /0 --no-scrape vs the same run
#     with its default scrape (every --interval = 1 s). Counts the loadgen's own scraping too
#     (its observer thread shares the machine), so it bounds the server's cost from above.
#  2. wrk -t1 -c100 /0 alone vs wrk with a curl of /metrics every second beside it (the
#     server's cost alone, as Prometheus would scrape it). Skipped without wrk.
# Usage: bench/scrape_cost.sh   ROUNDS (default 5), SECONDS_PER_ROUND (default 5)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-5}
port=$(free_port)
start_loadlab "$port" --threads 1 --workers 1
url="http://127.0.0.1:$port"

loadgen_rps() {  # extra args: throughput of one loadgen run
  "$loadgen_bin" -d "${seconds}s" -c 100 -q --json - "$@" "$url/0" | json_field '["throughput_rps"]'
}
wrk_rps_round() {  # scrape|plain
  local scraper=""
  if [ "$1" = scrape ]; then
    (while true; do curl -s -o /dev/null "$url/metrics"; sleep 1; done) &
    scraper=$!
  fi
  wrk -t1 -c100 -d "${seconds}s" "$url/0" | wrk_rps
  [ -n "$scraper" ] && kill "$scraper" && wait "$scraper" 2>/dev/null || true
}

if want 1; then
  : > "$work/plain1"; : > "$work/scrape1"
  for r in $(seq "$rounds"); do
    loadgen_rps --no-scrape >> "$work/plain1"
    loadgen_rps >> "$work/scrape1"
  done
  p=$(median < "$work/plain1"); s=$(median < "$work/scrape1")
  echo "1. loadgen /0 -c100: no scrape $p req/s, scrape every 1 s $s req/s, ratio $(ratio "$s" "$p") (rounds: $(paste -sd' ' "$work/plain1") | $(paste -sd' ' "$work/scrape1"))"
fi
if want 2 && command -v wrk >/dev/null; then
  : > "$work/plain2"; : > "$work/scrape2"
  for r in $(seq "$rounds"); do
    wrk_rps_round plain >> "$work/plain2"
    wrk_rps_round scrape >> "$work/scrape2"
  done
  p=$(median < "$work/plain2"); s=$(median < "$work/scrape2")
  echo "2. wrk /0 -c100: alone $p req/s, with a scrape every 1 s $s req/s, ratio $(ratio "$s" "$p") (rounds: $(paste -sd' ' "$work/plain2") | $(paste -sd' ' "$work/scrape2"))"
fi
