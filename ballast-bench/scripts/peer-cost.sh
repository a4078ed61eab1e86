#!/usr/bin/env bash
# peer-cost.sh: what a proxy costs the processes around it, per request: its own CPU time and
# involuntary context switches, and the CPU time and sleeps (voluntary switches) of the backends
# and of wrk, for proxies that are already running and warm, in interleaved rounds.
#
#   ROUNDS=5 DURATION=6 ballast-bench/scripts/peer-cost.sh nginx=8082 haproxy=8083 ballast=8084
#
# On a machine whose cores the load generator, the backends and the proxy share, throughput follows
# the CPU all of them spend per request, not the proxy's alone: a proxy that wakes wrk and the
# backends for one message at a time makes them sleep and wake more often, and pays for it in their
# CPU (docs/benchmarks.md, "Eighteenth session"). Each NAME=PORT is a proxy on 127.0.0.1:PORT in
# front of the backends on BACKEND_PORTS (default 9001 9002 9003). Prints medians over the rounds.
# Loopback only. Needs wrk, ss and GNU time (/usr/bin/time, Debian package "time").
set -euo pipefail

ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-6} CONNS=${CONNS:-64} URL_PATH=${URL_PATH:-/}
BACKEND_PORTS=${BACKEND_PORTS:-9001 9002 9003}
[ $# -gt 0 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }

pids_of() { ss -ltnpH "sport = :$1" | { grep -o 'pid=[0-9]*' || true; } | cut -d= -f2 | sort -u; }
# Clock ticks of user and system time, and voluntary and involuntary switches, of the given processes.
usage_of() {
  local pid u=0 s=0 vol=0 invol=0 a b c d
  for pid in "$@"; do
    read -r a b < <(awk '{print $14, $15}' "/proc/$pid/stat")
    read -r c d < <(cat /proc/"$pid"/task/*/status | awk '/^voluntary/ {v += $2} /^nonvoluntary/ {n += $2} END {print v, n}')
    u=$((u + a)) s=$((s + b)) vol=$((vol + c)) invol=$((invol + d))
  done
  echo "$u $s $vol $invol"
}

backends=
for port in $BACKEND_PORTS; do
  pids=$(pids_of "$port")
  [ -n "$pids" ] || { echo "no backend listens on 127.0.0.1:$port (BACKEND_PORTS)" >&2; exit 1; }
  backends+=" $pids"
done
backends=$(tr ' ' '\n' <<< "$backends" | sort -u | tr '\n' ' ')
for target in "$@"; do
  [ -n "$(pids_of "${target#*=}")" ] || { echo "nothing listens on 127.0.0.1:${target#*=} (${target%%=*})" >&2; exit 1; }
done

tick_us=$((1000000 / $(getconf CLK_TCK)))
declare -A results
for round in $(seq 1 "$ROUNDS"); do
  for target in "$@"; do
    name=${target%%=*} port=${target#*=}
    # shellcheck disable=SC2046
    read -r pu0 ps0 pv0 pn0 < <(usage_of $(pids_of "$port"))
    # shellcheck disable=SC2086
    read -r bu0 bs0 bv0 bn0 < <(usage_of $backends)
    out=$(/usr/bin/time -f 'WRK %U %S %w %c' wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency \
      "http://127.0.0.1:$port$URL_PATH" 2>&1) || { printf '%s\nwrk failed against %s\n' "$out" "$name" >&2; exit 1; }
    # shellcheck disable=SC2046
    read -r pu1 ps1 pv1 pn1 < <(usage_of $(pids_of "$port"))
    # shellcheck disable=SC2086
    read -r bu1 bs1 bv1 bn1 < <(usage_of $backends)
    read -r wu ws wv _ < <(awk '/^WRK/ {print $2, $3, $4, $5}' <<< "$out")
    n=$(awk '/requests in/ {print $1}' <<< "$out")
    if [ "${n:-0}" -le 0 ] || grep -q 'Socket errors\|Non-2xx' <<< "$out"; then
      printf '%s\nno clean run against %s: no requests, socket errors or non-2xx responses\n' "$out" "$name" >&2
      exit 1
    fi
    results[$name]+=$(awk -v n="$n" -v t="$tick_us" \
      -v rps="$(awk '/Requests\/sec/ {print $2}' <<< "$out")" -v p99="$(awk '$1 == "99%" {print $2}' <<< "$out")" \
      -v pu=$((pu1 - pu0)) -v ps=$((ps1 - ps0)) -v pn=$((pn1 - pn0)) \
      -v bu=$((bu1 - bu0)) -v bs=$((bs1 - bs0)) -v bv=$((bv1 - bv0)) -v wu="$wu" -v ws="$ws" -v wv="$wv" \
      'BEGIN { p99 = p99 ~ /us$/ ? p99 / 1000 : p99 ~ /ms$/ ? p99 + 0 : p99 * 1000; printf "%.0f %.3f %.2f %.2f %.3f %.2f %.2f %.3f %.2f %.2f %.3f\n",
        rps, p99, pu * t / n, ps * t / n, pn / n, bu * t / n, bs * t / n, bv / n, wu * 1e6 / n, ws * 1e6 / n, wv / n }')$'\n'
  done
  echo "round $round/$ROUNDS done" >&2
done

printf '| target | req/s | p99 ms | proxy user + sys µs | proxy invol. switches | backends user + sys µs | backend sleeps | wrk user + sys µs | wrk sleeps | all CPU µs |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for target in "$@"; do
  name=${target%%=*}
  printf '%s' "${results[$name]}" | awk -v name="$name" '
    NF { for (i = 1; i <= NF; i++) v[i, NR] = $i; rows = NR }
    function median(col,   n, i, j, a, t) {
      n = 0; for (i = 1; i <= rows; i++) if ((col, i) in v) a[++n] = v[col, i]
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
      total = median(3) + median(4) + median(6) + median(7) + median(9) + median(10)
      printf "| %s | %.0f | %.2f | %.2f + %.2f | %.2f | %.2f + %.2f | %.3f | %.2f + %.2f | %.3f | %.1f |\n",
        name, median(1), median(2), median(3), median(4), median(5), median(6), median(7), median(8),
        median(9), median(10), median(11), total
    }'
done
