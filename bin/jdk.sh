# Finds a JDK >= 21 and exports JAVA_HOME. Sourced (POSIX sh) by mvnw, bin/ballast and .ci/run.
# Order: $JAVA_HOME if it is new enough, then the newest JDK under $BALLAST_JDK_DIR (default
# /usr/lib/jvm), then the JDK of the javac on PATH. Fails with a message that says what to install.
BALLAST_MIN_JAVA=21

ballast_java_major() {
  # "openjdk version "25.0.3" ..." / "java version "1.8.0_..."" -> 25 / 1; the line is not always the
  # first: with JAVA_TOOL_OPTIONS set, the JVM says "Picked up JAVA_TOOL_OPTIONS: ..." before it.
  "$1" -version 2>&1 | sed -n '/ version "/{s/.* version "\([0-9]*\).*/\1/p;q;}'
}

# The feature release of the JDK at $1, from its release file when it has one (no JVM to start).
ballast_jdk_major() {
  release=
  [ -r "$1/release" ] && release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  if [ -n "$release" ]; then echo "$release"; else ballast_java_major "$1/bin/java"; fi
}

# True when $1 is a JDK >= 21; sets $major to its feature release.
ballast_is_jdk() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  major=$(ballast_jdk_major "$1")
  [ -n "$major" ] && [ "$major" -ge "$BALLAST_MIN_JAVA" ]
}

ballast_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && ballast_is_jdk "$JAVA_HOME"; then
    return 0
  fi
  # By version, not by name: names such as default-java or zulu21 sort anywhere.
  best= best_major=0
  # A glob of the quoted directory, not find's output split at white space: a directory whose path
  # holds a space (or a *) is looked in too. Globbing is on for it, whatever the caller's `set -f`.
  case $- in *f*) noglob=1; set +f ;; *) noglob= ;; esac
  for candidate in "${BALLAST_JDK_DIR:-/usr/lib/jvm}"/*; do
    if ballast_is_jdk "$candidate" && [ "$major" -gt "$best_major" ]; then
      best=$candidate best_major=$major
    fi
  done
  [ -z "$noglob" ] || set -f
  if [ -n "$best" ]; then
    JAVA_HOME=$best; export JAVA_HOME; return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if ! ballast_is_jdk "$candidate" && command -v java >/dev/null 2>&1; then
      # A version manager's shim (asdf, jenv) is a script: ask the java it runs where it lives.
      candidate=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')
    fi
    if [ -n "$candidate" ] && ballast_is_jdk "$candidate"; then
      JAVA_HOME=$candidate; export JAVA_HOME; return 0
    fi
  fi
  echo "ballast: no JDK ${BALLAST_MIN_JAVA} or newer found." >&2
  echo "  Looked at JAVA_HOME (${JAVA_HOME:-unset}), ${BALLAST_JDK_DIR:-/usr/lib/jvm}/* and the javac on PATH." >&2
  echo "  Install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+) or set JAVA_HOME to it." >&2
  return 1
}

# Maven's own Guice calls sun.misc.Unsafe, which JDK 24+ warns about on every build; allow it quietly.
ballast_quiet_maven() {
  major=$(ballast_java_major "$JAVA_HOME/bin/java")
  if [ -n "$major" ] && [ "$major" -ge 24 ]; then
    case "${MAVEN_OPTS:-}" in
      *sun-misc-unsafe-memory-access*) ;;
      *) MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}"; export MAVEN_OPTS ;;
    esac
  fi
}
