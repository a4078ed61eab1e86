#!/usr/bin/env bash
# warmup-curve.sh: how fast a freshly started proxy reaches its steady state, window by window.
#
#   TRANSPORT=io_uring ballast-bench/scripts/warmup-curve.sh ballast-dist/target/ballast.jar \
#       127.0.0.1:9001 127.0.0.1:9002 127.0.0.1:9003
#
# Starts the jar as bin/ballast does (same heap and collector), gives it ../shared/bench's warm-up
# (5 s of wrk on /, 2 s on /big), then runs WINDOWS windows of WINDOW seconds of `wrk -t1 -c64` on
# URL_PATH (default /) and prints, per window, req/s, the proxy's CPU per request (user + system, all its threads) and
# the CPU its JIT compiler threads used. The harness measures a fresh process in its first window;
# this shows how much of that window is still warm-up. TRANSPORT (epoll, io_uring or nio) goes into
# the config. The backends must already listen (e.g. ../shared/bench's); loopback only. Needs wrk,
# curl and a JDK >= 21 (found as bin/ballast finds one).
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
jar=$1; shift
PORT=${PORT:-8098} WINDOWS=${WINDOWS:-8} WINDOW=${WINDOW:-5} TRANSPORT=${TRANSPORT:-epoll} URL_PATH=${URL_PATH:-/}
script=warmup-curve
# shellcheck source=ballast-bench/scripts/proxy-run.sh
. "$(dirname "$0")/proxy-run.sh"
{ proxy_config "$@"; echo "transport: $TRANSPORT"; } > "$work/ballast.yaml"
proxy_start "$work/ballast.yaml" -Xms112m -Xmx192m -Xmn64m -XX:+UseSerialGC   # as bin/ballast
wrk -t1 -c64 -d5s "http://127.0.0.1:$PORT/" > /dev/null
wrk -t1 -c64 -d2s "http://127.0.0.1:$PORT/big" > /dev/null

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
jit_ticks() {
  local sum=0 task
  for task in /proc/"$pid"/task/*; do
    case "$(cat "$task/comm")" in C1*|C2*) sum=$((sum + $(awk '{print $14 + $15}' "$task/stat")));; esac
  done
  echo "$sum"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))
echo "transport $(grep -o 'over [a-z_]*' "$work/ballast.log" | head -1 | cut -d' ' -f2)"
printf '%6s %9s %12s %12s\n' window 'req/s' 'CPU us/req' 'JIT CPU ms'
for window in $(seq 1 "$WINDOWS"); do
  cpu0=$(ticks) jit0=$(jit_ticks)
  requests=$(wrk -t1 -c64 -d"${WINDOW}s" "http://127.0.0.1:$PORT$URL_PATH" | awk '/requests in/ {print $1}')
  cpu1=$(ticks) jit1=$(jit_ticks)
  [ "${requests:-0}" -gt 0 ] || fail "wrk completed no request in window $window"
  awk -v w="$window" -v r="$requests" -v s="$WINDOW" -v cpu=$(((cpu1 - cpu0) * tick_us)) \
      -v jit=$(((jit1 - jit0) * tick_us / 1000)) 'BEGIN { printf "%6d %9d %12.1f %12d\n", w, r / s, cpu / r, jit }'
done
