#!/usr/bin/env bash
# steady-ab.sh: compare proxies that are already running and warm, in interleaved rounds.
#
#   ROUNDS=8 DURATION=5 ballast-bench/scripts/steady-ab.sh nginx=8082 ballast=8084 ballast-log=8085
#
# Each NAME=PORT is a proxy listening on 127.0.0.1:PORT in front of the same backends. Every round
# runs `wrk -t1 -c64 -d${DURATION}s --latency` against each target in turn, so slow drifts of a
# shared machine hit all targets alike; per target it prints the median req/s, the p99 of each round
# and the CPU time per request of the processes that own the port (user + system, from /proc).
#
# It complements ../shared/bench/run.sh, which starts a fresh process per round and so includes the
# JVM's warm-up: this one measures steady state only, and small differences (a feature on vs off)
# show through the noise of the whole-process comparison. Loopback only. Needs wrk and ss.
set -euo pipefail

ROUNDS=${ROUNDS:-8} DURATION=${DURATION:-5} CONNS=${CONNS:-64} URL_PATH=${URL_PATH:-/}
[ $# -gt 0 ] || { sed -n '2,13p' "$0" >&2; exit 2; }

pids_of() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }
cpu_ticks() {
  local total=0 pid
  for pid in $(pids_of "$1"); do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}

declare -A rps p99 cpu
for target in "$@"; do
  port=${target#*=}
  [ -n "$(pids_of "$port")" ] || { echo "nothing listens on 127.0.0.1:$port (${target%%=*})" >&2; exit 1; }
  wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port$URL_PATH" > /dev/null   # touch every target once
done

ticks_per_second=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for target in "$@"; do
    name=${target%%=*} port=${target#*=}
    before=$(cpu_ticks "$port")
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port$URL_PATH")
    after=$(cpu_ticks "$port")
    requests=$(awk '/requests in/ {print $1}' <<< "$out")
    rps[$name]+=" $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<< "$out")"
    p99[$name]+=" $(awk '$1 == "99%" {print $2}' <<< "$out")"
    cpu[$name]+=" $(( (after - before) * 1000000 / ticks_per_second / (requests > 0 ? requests : 1) ))"
  done
  echo "round $round/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
printf '| target | req/s (median) | req/s per round | p99 per round | CPU µs/req (median) |\n|---|---:|---|---|---:|\n'
for target in "$@"; do
  name=${target%%=*}
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$(median <<< "${rps[$name]}")" "${rps[$name]# }" \
    "${p99[$name]# }" "$(median <<< "${cpu[$name]}")"
done
