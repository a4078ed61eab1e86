#!/usr/bin/env bash
# alloc-per-request.sh: bytes the proxy allocates per proxied request, counted exactly, by class.
#
#   ballast-bench/scripts/alloc-per-request.sh ballast-dist/target/ballast.jar 127.0.0.1:9001 127.0.0.1:9002
#
# Starts the jar with the Epsilon collector (nothing is ever freed, so a class histogram counts every
# object allocated), warms it up, takes a histogram, runs `wrk -t1 -c64` on / for DURATION seconds,
# takes a second one, and divides the difference by wrk's request count. Sampling profilers (JFR's
# allocation samples) over-weigh large objects; this does not. The backends must already listen
# (e.g. ../shared/bench's); loopback only. Needs wrk, curl, python3 and a JDK >= 21 (found as
# bin/ballast finds one). The heap holds every byte: at ~2.5 KB a request, 4 GiB lasts about 1.5
# million requests, warm-up included.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
jar=$1; shift
PORT=${PORT:-8099} WARMUP=${WARMUP:-15} DURATION=${DURATION:-3} TOP=${TOP:-15}
script=alloc-per-request
# shellcheck source=ballast-bench/scripts/proxy-run.sh
. "$(dirname "$0")/proxy-run.sh"
jcmd=$JAVA_HOME/bin/jcmd
proxy_config "$@" > "$work/ballast.yaml"
proxy_start "$work/ballast.yaml" -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xms4g -Xmx4g
wrk -t1 -c64 -d"${WARMUP}s" "http://127.0.0.1:$PORT/" > /dev/null   # let the JIT settle: its code allocates less

"$jcmd" "$pid" GC.class_histogram -all > "$work/before.txt"
wrk -t1 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT/" > "$work/wrk.txt"
"$jcmd" "$pid" GC.class_histogram -all > "$work/after.txt"
kill -0 "$pid" 2>/dev/null || fail "the proxy died during the run (out of heap?)"
! grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt" || fail "errors during the run: $(grep -E 'Non-2xx|Socket errors' "$work/wrk.txt")"
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
[ "${requests:-0}" -gt 0 ] || fail "wrk completed no request"

python3 - "$work/before.txt" "$work/after.txt" "$requests" "$TOP" <<'PY'
import re, sys
def histogram(path):
    counts = {}
    for line in open(path):
        m = re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)', line)
        if m:  # a class name may appear once per class loader: add them up
            n, size = counts.get(m.group(3), (0, 0))
            counts[m.group(3)] = (n + int(m.group(1)), size + int(m.group(2)))
    return counts
before, after, requests, top = histogram(sys.argv[1]), histogram(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = sorted(((name, n - before.get(name, (0, 0))[0], size - before.get(name, (0, 0))[1])
               for name, (n, size) in after.items()), key=lambda row: -row[2])
print(f"{requests} requests, {sum(row[2] for row in rows) / requests:.0f} bytes allocated per request")
print(f"{'B/request':>10} {'objects':>8}  class")
for name, n, size in rows[:top]:
    print(f"{size / requests:10.1f} {n / requests:8.2f}  {name}")
PY
