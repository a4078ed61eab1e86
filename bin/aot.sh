# The JVM's AOT cache for bin/ballast (JDK 25+: JEPs 483, 514 and 515). Sourced (bash 4.4+).
#
# A fresh JVM interprets, profiles and compiles while it serves: the proxy needs about half a minute
# of traffic to reach full speed, and compiles again whenever the traffic changes shape
# (docs/benchmarks.md, twenty-second session). The AOT cache holds the classes loaded and linked and
# the method profiles of an earlier run, so the next JVM compiles the hot code at once.
#
# The cache is learnt from the proxy's own traffic, never from a built-in workload:
#   1. a `run` with no cache for this jar, JDK and JVM options records what it loads and how its
#      methods behave, and the JVM writes that record when it exits (AOTMode=record);
#   2. the next `run` or `demo` builds the cache from the record (a few seconds, once) and starts
#      with it, as does every start after it, until the jar, the JDK or the options change.
# A recording run holds a lock on its own lock file for as long as it lives: the launcher takes it
# before it execs the JVM, which inherits it. So other starts see that a run is recording (they
# neither record nor wait), and a record is only read once the run that writes it has ended. A run
# killed before its exit leaves no record; one shorter than BALLAST_AOT_MIN_SECONDS (20) saw too
# little traffic to be worth a cache, and its record is dropped; either way a later run records
# again. The JVM checks a cache when it maps it, and runs without one it cannot use.
#
# BALLAST_AOT=off turns all of this off; BALLAST_AOT_DIR moves the files (default: next to the jar).

# ballast_aot_setup COMMAND JAVA_MAJOR JAVA JAR JVM_OPTION... sets BALLAST_AOT_OPTS to the JVM options
# to add for COMMAND (none where the cache does not apply), after building a cache from a finished
# record if there is one. When this run is to record, it also opens and locks file descriptor 9,
# which the JVM inherits. Never fails: without a cache the proxy runs as it would anyway.
ballast_aot_setup() {
  BALLAST_AOT_OPTS=()
  # `local -` (below) needs bash 4.4; an older one runs the proxy without the cache.
  (( BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404 )) || return 0
  local - # the shell options set here (file name matching) are put back on return
  local command=$1 major=$2 java=$3 jar=$4
  shift 4
  [ "${BALLAST_AOT:-on}" != off ] || return 0
  [ "$command" = run ] || [ "$command" = demo ] || return 0
  [ "$major" -ge 25 ] || return 0
  command -v flock > /dev/null || return 0
  # Options of the operator's own for the JVM's class-data sharing or AOT cache: the JVM refuses to
  # start with those and the launcher's together, so the operator's win.
  case " $* ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} ${_JAVA_OPTIONS:-} " in
    *-Xshare:* | *-XX:AOT* | *SharedArchiveFile* | *ArchiveClassesAtExit* | *AutoCreateSharedArchive* \
      | *DumpLoadedClassList* | *SharedClassListFile*) return 0 ;;
  esac
  local dir=${BALLAST_AOT_DIR:-$(dirname "$jar")/aot}
  if ! { mkdir -p "$dir" && [ -w "$dir" ]; } 2>/dev/null; then
    [ "$command" != run ] || echo "ballast: no AOT cache, for $dir cannot be written to (BALLAST_AOT_DIR names" \
      "another directory; BALLAST_AOT=off says not to look)" >&2
    return 0
  fi
  set +f

  local key cache
  key=$(ballast_aot_key "$java" "$jar" "$@") || return 0
  cache="$dir/ballast-$key.aot"
  # What an older jar left behind (the launcher's own files only: the directory may hold others).
  find "$dir" -mindepth 1 -maxdepth 1 -type f -name 'ballast-*' \
      \( -name '*.aot' -o -name '*.config' -o -name '*.lock' -o -name '*.tmp' \) ! -newer "$jar" \
      -delete 2>/dev/null || true

  [ -f "$cache" ] || ballast_aot_build "$java" "$jar" "$dir" "$key" "$cache" "$@" || true
  if [ -f "$cache" ]; then
    BALLAST_AOT_OPTS=("-XX:AOTCache=$cache")
    ballast_aot_drop_records "$dir" "$key" # made beside the one the cache was built from
  elif [ "$command" = run ] && ! ballast_aot_recording "$dir" "$key" \
      && flock -n "$dir/build.lock" true 2>/dev/null; then # not while another launcher builds one
    local lock="$dir/ballast-$key.$$.lock"
    # The lock file says when the run began, so that a record too short to use can be told apart.
    { exec 9> "$lock" && date +%s >&9 && flock -n 9; } 2>/dev/null || return 0
    echo "ballast: this run records how the JVM runs the proxy, saved at exit; the next start builds an" \
      "AOT cache from it and reaches full speed sooner (JDK 25+, once per build; BALLAST_AOT=off skips it)" >&2
    # The JVM's notes on classes it leaves out of the record are of no use to the operator.
    BALLAST_AOT_OPTS=(-XX:AOTMode=record "-XX:AOTConfiguration=$dir/ballast-$key.$$.config" '-Xlog:aot*=error')
  fi
}

# ballast_aot_command ARG... prints the command of bin/ballast's arguments, `run` or `demo`, when it
# starts the proxy, and nothing otherwise: a JVM that only prints its help or a usage error (`run
# --help`, a `run` without -c, --config or --config-etcd) must not record (its record, of a run too
# short, would be dropped by the next real one) nor wait for a cache to be built.
ballast_aot_command() {
  local command=${1:-} configured= arg
  [ "$command" = run ] || [ "$command" = demo ] || return 0
  shift
  for arg in "$@"; do
    case $arg in
      --) break ;; # what follows is not an option
      -h | --help | -V | --version) return 0 ;;
      -c* | --config | --config=* | --config-etcd | --config-etcd=*) configured=1 ;;
    esac
  done
  [ "$command" = demo ] || [ -n "$configured" ] || return 0
  echo "$command"
}

# One cache per jar (its size and time), JDK and set of JVM options, those the JVM takes from the
# environment included: the JVM refuses a cache made with another class path or collector, and a new
# build must not keep an old profile.
ballast_aot_key() {
  local java=$1 jar=$2
  shift 2
  local home
  home=$(dirname "$(dirname "$java")")
  printf '%s\n' "$home" "$(cat "$home/release" 2>/dev/null || true)" "$*" "${JAVA_TOOL_OPTIONS:-}" \
      "${JDK_JAVA_OPTIONS:-}" "${_JAVA_OPTIONS:-}" "$(stat -c '%s %Y' "$jar")" | cksum | cut -d' ' -f1
}

# Removes the records for this key whose runs have ended.
ballast_aot_drop_records() {
  local dir=$1 key=$2 config lock
  for config in "$dir/ballast-$key".*.config; do
    [ -f "$config" ] || continue
    lock=${config%.config}.lock
    if [ ! -f "$lock" ] || flock -n "$lock" true 2>/dev/null; then
      rm -f "$config" "$lock"
    fi
  done
}

# True while a run that records for this key is alive: it holds its lock file.
ballast_aot_recording() {
  local dir=$1 key=$2 lock
  for lock in "$dir/ballast-$key".*.lock; do
    [ -f "$lock" ] || continue
    flock -n "$lock" true 2>/dev/null || return 0
  done
  return 1
}

# Builds the cache from the record of a run that has ended and checks that the JVM can map it; a
# record the JVM cannot read (its run was killed while writing it) or of too short a run is dropped.
# One launcher builds at a time; another starts without waiting for it.
ballast_aot_build() {
  local java=$1 jar=$2 dir=$3 key=$4 cache=$5
  shift 5
  (
    flock -n 8 || exit 0
    min=${BALLAST_AOT_MIN_SECONDS:-20}
    for config in "$dir/ballast-$key".*.config; do
      [ -f "$config" ] || continue
      lock=${config%.config}.lock
      ! flock -n "$lock" true 2>/dev/null && [ -f "$lock" ] && continue # its run is still writing it
      if [ ! -f "$cache" ]; then
        started=$(head -c 20 "$lock" 2>/dev/null || true)
        [[ $started =~ ^[0-9]+$ ]] || started=
        lasted=$(( $(stat -c %Y "$config") - ${started:-0} ))
        if [ -z "$started" ] || [ "$lasted" -lt "$min" ]; then
          echo "ballast: the last run's record is dropped: it ran ${started:+$lasted s, }under the $min s" \
            "(BALLAST_AOT_MIN_SECONDS) it takes to show how the proxy runs; a run records it again" >&2
        else
          echo "ballast: building the JVM's AOT cache from the last run's record (once per build) ..." >&2
          tmp="$cache.$$.tmp"
          if "$java" "$@" -XX:AOTMode=create -XX:AOTConfiguration="$config" -XX:AOTCache="$tmp" '-Xlog:aot*=error' \
                -jar "$jar" version > "$dir/build.log" 2>&1 \
              && "$java" "$@" -XX:AOTMode=on -XX:AOTCache="$tmp" -jar "$jar" version >> "$dir/build.log" 2>&1; then
            mv -f "$tmp" "$cache"
          else
            rm -f "$tmp"
            echo "ballast: the record could not be made into a cache (see $dir/build.log); a run records it again" >&2
          fi
        fi
      fi
      rm -f "$config" "$lock"
    done
  ) 8> "$dir/build.lock"
}
