# proxy-run.sh: what the scripts that start a proxy of their own share. Sourced (bash), after the
# caller set `jar`, `PORT` and `script` (its name, for messages).
#
#   proxy_config ENDPOINT... > FILE   a round-robin config on 127.0.0.1:PORT (admin PORT + 1000), plus
#                                     any lines the caller appends
#   proxy_start CONFIG JVM_OPTION...  starts the jar (pid in $pid, log in $work/ballast.log) and waits
#                                     until it answers 2xx on /; fails with the log's tail otherwise
# `work` is a temporary directory, removed on exit together with the proxy.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=bin/jdk.sh
. "$here/bin/jdk.sh"
ballast_find_jdk || exit 1
java=$JAVA_HOME/bin/java
unsafe_opt=""   # as bin/ballast: from JDK 24 Netty needs leave to use sun.misc.Unsafe
[ "$(ballast_java_major "$java")" -lt 24 ] || unsafe_opt=--sun-misc-unsafe-memory-access=allow

work=$(mktemp -d) pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap stop EXIT
fail() { echo "$script: $*" >&2; [ ! -s "$work/ballast.log" ] || tail -20 "$work/ballast.log" >&2; exit 1; }

proxy_config() {
  printf 'listeners:\n  - name: %s\n    address: 127.0.0.1:%s\nadmin:\n  address: 127.0.0.1:%s\n' \
    "$script" "$PORT" $((PORT + 1000))
  printf 'upstreams:\n  backends:\n    balancer: round-robin\n    endpoints: [%s]\n' "$(IFS=,; echo "$*")"
  printf 'routes:\n  - match: { path_prefix: / }\n    upstream: backends\n'
}

proxy_start() {
  local config=$1; shift
  "$java" "$@" -XX:+ExitOnOutOfMemoryError -XX:MaxDirectMemorySize=64m $unsafe_opt \
      -jar "$jar" run -c "$config" > "$work/ballast.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || fail "the proxy did not start"
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "no 2xx from http://127.0.0.1:$PORT/ (are the backends up?)"
}
