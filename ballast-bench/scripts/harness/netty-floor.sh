# A target for the shared proxy harness (copy it into the harness's targets/, in a copy of the
# harness): dev.ballast.bench.floor.NettyFloorProxy, the least a Netty HTTP proxy does, started like
# the ballast target (same JDK search, same JVM flags as bin/ballast). netty-floor-bytes.sh: a TCP relay.
# Each client connection stays on one backend, so its sanity line shows no spread: that is expected.
BALLAST_HOME=${BALLAST_HOME:-$PWD}
FLOOR_MODE=http   # set on every load: the harness sources all targets into one shell
TARGET_DESC="Netty floor (http) from $(git -C "$BALLAST_HOME" rev-parse --short HEAD 2>/dev/null || echo '?'), ballast-bench/.../NettyFloorProxy"
target_build() {   # a jar from before the floor existed lacks it: build then too
  local jar=$BALLAST_HOME/ballast-bench/target/benchmarks.jar
  if [ ! -f "$jar" ] || ! unzip -l "$jar" 2>/dev/null | grep -q 'bench/floor/NettyFloorProxy.class'; then
    (cd "$BALLAST_HOME" && ./mvnw -q -B -DskipTests package -pl ballast-bench -am)
  fi
}
target_start() {
  # shellcheck source=../../../bin/jdk.sh
  . "$BALLAST_HOME/bin/jdk.sh"
  ballast_find_jdk || return 1
  local unsafe_opt=""
  [ "$(ballast_java_major "$JAVA_HOME/bin/java")" -lt 24 ] || unsafe_opt=--sun-misc-unsafe-memory-access=allow
  # bin/ballast's JVM flags (the young generation fixed at 64 MiB from the twentieth session on, so
  # floor runs before that used the JVM's own sizing)
  spawn floor "$JAVA_HOME/bin/java" -Xms112m -Xmx192m -Xmn64m -XX:+UseSerialGC -XX:MaxDirectMemorySize=64m \
    -XX:+ExitOnOutOfMemoryError $unsafe_opt \
    -cp "$BALLAST_HOME/ballast-bench/target/benchmarks.jar" dev.ballast.bench.floor.NettyFloorProxy \
    8080 "$FLOOR_MODE" 127.0.0.1:9001 127.0.0.1:9002 127.0.0.1:9003
}
