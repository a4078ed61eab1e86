#!/usr/bin/env bash
# fresh-ab.sh: freshly started proxies compared in pairs, the way the shared harness meets them.
#
#   ROUNDS=8 ballast-bench/scripts/fresh-ab.sh 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003 \
#       cache=BALLAST_AOT=on plain=BALLAST_AOT=off
#
# Each round starts one `bin/ballast run` per variant (NAME=VAR=VALUE[,VAR=VALUE...], the environment
# it runs in; no commas in values), one after the other, in an order that alternates; gives each the
# harness's sequence (5 s of `wrk -t1 -c64` on /, 2 s on /big, then 10 s on / and 10 s on /big
# measured) and prints a line per process: req/s, p99 (ms) and the proxy's CPU per request (µs) at each size,
# and its peak RSS. Then the medians per variant. For what the harness's three rounds cannot resolve
# on a noisy host: a change to how the proxy starts (JVM options, the AOT cache). The backends must
# already listen (e.g. ../shared/bench's); loopback only; every proxy is stopped before the next
# starts. A process that recorded the AOT cache rather than starting with one is marked "(recorded)"
# and left out of the medians. Needs wrk and curl.
set -euo pipefail
shopt -s inherit_errexit

[ $# -ge 2 ] || { sed -n '2,15p' "$0" | grep '^#' >&2; exit 2; }
endpoints=$1; shift
[[ $endpoints =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+)*$ ]] || { echo "endpoints: 127.0.0.1:PORT,... only" >&2; exit 2; }
for variant in "$@"; do
  [[ $variant =~ ^[A-Za-z0-9_-]+=[A-Za-z_][A-Za-z0-9_]*=[^,]*(,[A-Za-z_][A-Za-z0-9_]*=[^,]*)*$ ]] \
    || { echo "variant '$variant': NAME=VAR=VALUE[,VAR=VALUE...]" >&2; exit 2; }
done
ROUNDS=${ROUNDS:-8} PORT=${PORT:-8097}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d) pid=
# SIGTERM, and SIGKILL if the drain has not ended within 30 s.
stop() {
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
trap 'stop; rm -rf "$work"' EXIT

cat > "$work/ballast.yaml" <<YAML
listeners:
  - name: fresh-ab
    address: 127.0.0.1:$PORT
admin:
  address: 127.0.0.1:$((PORT + 1000))
upstreams:
  backends:
    balancer: round-robin
    endpoints: [$endpoints]
routes:
  - match: { path_prefix: / }
    upstream: backends
YAML

# measure NAME URL_PATH : one 10 s window; prints "req/s p99-ms cpu-µs-per-request"
measure() {
  local before after requests rate p99 cpu
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  wrk -t1 -c64 -d10s --latency "http://127.0.0.1:$PORT$2" > "$work/wrk.txt"
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  ! grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt" || { echo "$1: errors: $(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt")" >&2; exit 1; }
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) v /= 1000; else if (v ~ /ms$/) v += 0; else v *= 1000
                           printf "%.2f", v }' "$work/wrk.txt")
  [[ $requests =~ ^[0-9]+$ && $requests -gt 0 && $rate =~ ^[0-9]+$ && -n $p99 ]] \
    || { echo "$1: no measurement from wrk:" >&2; cat "$work/wrk.txt" >&2; exit 1; }
  cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
  echo "$rate $p99 $cpu"
}

run_one() {
  local name=$1 assignments=$2
  local -a env_args
  IFS=, read -r -a env_args <<< "$assignments"
  env "${env_args[@]}" "$here/bin/ballast" run -c "$work/ballast.yaml" > "$work/$name.log" 2>&1 &
  pid=$! # bin/ballast execs the JVM: the same process
  local i
  for i in $(seq 1 600); do curl -sf -m 2 -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || { echo "$name did not start:" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
  wrk -t1 -c64 -d5s "http://127.0.0.1:$PORT/" > /dev/null
  wrk -t1 -c64 -d2s "http://127.0.0.1:$PORT/big" > /dev/null
  local small big
  small=$(measure "$name" /)
  big=$(measure "$name" /big)
  local line
  line="$name $small $big $(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")"
  if grep -q 'this run records' "$work/$name.log"; then
    echo "$line (recorded)"
  else
    echo "$line" | tee -a "$work/results"
  fi
  stop
  sleep 1
}

echo "variant 64B-req/s p99 cpu-us/req 16KiB-req/s p99 cpu-us/req peak-rss-MiB"
for round in $(seq 1 "$ROUNDS"); do
  variants=("$@")
  if [ $((round % 2)) = 0 ]; then
    mapfile -t variants < <(printf '%s\n' "$@" | tac)
  fi
  for variant in "${variants[@]}"; do
    run_one "${variant%%=*}" "${variant#*=}"
  done
done

echo "medians:"
for variant in "$@"; do
  name=${variant%%=*} line=${variant%%=*}
  for column in 2 3 4 5 6 7 8; do
    line="$line $(awk -v n="$name" -v c=$column '$1 == n {print $c}' "$work/results" | sort -g \
      | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
  done
  echo "$line"
done
