# The JVM's AOT cache for bin/ballast (JDK 25+: JEPs 483, 514 and 515). Sourced (bash).
#
# A fresh JVM interprets, profiles and compiles while it serves: the proxy needs about half a minute
# of traffic to reach full speed, and compiles again whenever the traffic changes shape
# (docs/benchmarks.md, twenty-second session). The AOT cache holds the classes loaded and linked and
# the method profiles of an earlier run, so the next JVM compiles the hot code at once.
#
# The cache is learnt from the proxy's own traffic, never from a built-in workload:
#   1. a `run` with no cache for this jar, JDK and JVM options records what it loads and how its
#      methods behave, and writes that record when it exits (the JVM's AOTMode=record);
#   2. the next `run` or `demo` builds the cache from the record (a few seconds, once) and starts
#      with it, as does every start after it, until the jar, the JDK or the options change.
# A run killed before its exit leaves no record, and the next run records again. The JVM checks a
# cache when it maps it and runs without one it cannot use. BALLAST_AOT=off turns all of this off;
# BALLAST_AOT_DIR moves the files (default: next to the jar).
#
# ballast_aot_options COMMAND JAVA_MAJOR JAVA JAR OPTIONS... prints the JVM options to add for COMMAND
# (none when the cache does not apply), after building a cache from a finished record if there is
# one. Run it in a subshell: it turns file name matching back on, which the launcher turns off.

ballast_aot_options() {
  local command=$1 major=$2 java=$3 jar=$4
  shift 4
  [ "${BALLAST_AOT:-on}" != off ] || return 0
  [ "$command" = run ] || [ "$command" = demo ] || return 0
  [ "$major" -ge 25 ] || return 0
  set +f
  local dir=${BALLAST_AOT_DIR:-$(dirname "$jar")/aot}
  mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || return 0

  # One cache per jar (its size and time), JDK and set of JVM options: the JVM refuses a cache made
  # with another class path or collector anyway, and a new build must not keep an old profile.
  local java_home key
  java_home=$(dirname "$(dirname "$java")")
  key=$(printf '%s\n' "$java_home" "$(cat "$java_home/release" 2>/dev/null)" "$*" \
      "$(stat -c '%s %Y' "$jar")" | cksum | cut -d' ' -f1)
  local cache="$dir/ballast-$key.aot"
  # What an older jar left behind.
  find "$dir" -maxdepth 1 -name 'ballast-*' ! -newer "$jar" -delete 2>/dev/null || true

  if [ ! -f "$cache" ]; then
    ballast_aot_build "$java" "$jar" "$dir" "$key" "$cache" "$@"
  fi
  if [ -f "$cache" ]; then
    echo "-XX:AOTCache=$cache"
  elif [ "$command" = run ] && ! ballast_aot_recording "$dir" "$key"; then
    echo "ballast: this run records how the JVM runs the proxy, saved at exit; the next start builds an" \
      "AOT cache from it and reaches full speed sooner (JDK 25+, once per build; BALLAST_AOT=off skips it)" >&2
    # The JVM's notes on classes it leaves out of the record are of no use to the operator.
    echo "-XX:AOTMode=record -XX:AOTConfiguration=$dir/ballast-$key.$$.config -Xlog:aot*=error"
  fi
}

# True while a process whose record this would be is still running.
ballast_aot_recording() {
  local dir=$1 key=$2 config pid
  for config in "$dir/ballast-$key".*.config; do
    [ -f "$config" ] || continue
    pid=${config%.config}
    pid=${pid##*.}
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

# Builds the cache from the record of a run that has ended, checks that the JVM can map it, and
# removes the records; a record the JVM cannot read (its run was killed while writing it) is dropped.
ballast_aot_build() {
  local java=$1 jar=$2 dir=$3 key=$4 cache=$5 config pid
  shift 5
  for config in "$dir/ballast-$key".*.config; do
    [ -f "$config" ] || continue
    pid=${config%.config}
    pid=${pid##*.}
    ! kill -0 "$pid" 2>/dev/null || continue
    if [ ! -f "$cache" ]; then
      echo "ballast: building the JVM's AOT cache from the last run's record (once per build) ..." >&2
      local tmp="$cache.$$.tmp"
      # shellcheck disable=SC2086
      if "$java" "$@" -XX:AOTMode=create -XX:AOTConfiguration="$config" -XX:AOTCache="$tmp" -Xlog:aot*=error \
            -jar "$jar" version > "$dir/build.log" 2>&1 \
          && "$java" "$@" -XX:AOTMode=on -XX:AOTCache="$tmp" -jar "$jar" version >> "$dir/build.log" 2>&1; then
        mv -f "$tmp" "$cache"
      else
        rm -f "$tmp"
        echo "ballast: the record could not be made into a cache (see $dir/build.log); this run records again" >&2
      fi
    fi
    rm -f "$config"
  done
}
