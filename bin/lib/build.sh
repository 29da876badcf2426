# Sourced by bin/keel and bin/sample: builds a module of this clone with the Maven wrapper when its jar is
# missing or older than a source, showing what downloads instead of a silent minute. Needs ROOT set.

# stale JAR CP_FILE: whether the jar is missing or older than any source, resource or pom of the clone
stale() {
  local JAR="$1" CP_FILE="$2"
  [[ ! -f "$CP_FILE" || ! -f "$JAR" ]] && return 0
  [[ -n "$(find "$ROOT" -path "$ROOT/.git" -prune -o -path '*/target' -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$JAR" -print -quit)" ]]
}

# Turns Maven's batch output into a few progress lines: what downloads (and how much so far), which module
# builds. Everything Maven printed stays in $LOG.
progress() {
  awk -v tty="$1" '
    function show(s) { if (tty) { printf "\r\033[Kkeel: %s", s > "/dev/stderr" } else { print "keel: " s > "/dev/stderr" } fflush("/dev/stderr") }
    function mb(n, unit) { return unit == "GB" ? n * 1024 : unit == "MB" ? n : unit == "kB" ? n / 1024 : n / 1048576 }
    /Downloading from [^:]*: / {
      name = $NF; sub(/.*\//, "", name)
      if (name ~ /\.jar$/ || tty) show(sprintf("downloading %s (%d files, %.1f MB so far)", name, files, total))
      next
    }
    /Downloaded from [^:]*: / {
      if (match($0, /\(([0-9.]+) (B|kB|MB|GB) at/)) {
        split(substr($0, RSTART + 1, RLENGTH - 4), p, " "); total += mb(p[1], p[2]); files++
      }
      next
    }
    /^\[INFO\] Building .*\[[0-9]+\/[0-9]+\]$/ {
      step = $NF; name = $0; sub(/^\[INFO\] Building /, "", name); sub(/ +[0-9][^ ]* +\[[0-9]+\/[0-9]+\]$/, "", name)
      show(sprintf("compiling %s %s", name, step)); next
    }
    END { if (tty) printf "\r\033[K" > "/dev/stderr"; if (files > 0) print "keel: downloaded " files " files, " sprintf("%.1f", total) " MB (kept in the Maven cache for later builds)" > "/dev/stderr" }
  '
}

# build_if_stale MODULE JAR CP_FILE: packages MODULE (and what it needs, tests skipped) when stale
build_if_stale() {
  local module="$1" JAR="$2" CP_FILE="$3" LOG="$ROOT/target/keel-build.log"
  stale "$JAR" "$CP_FILE" || return 0
  mkdir -p "$ROOT/target"
  if [[ ! -d "${MAVEN_USER_HOME:-$HOME/.m2}/wrapper/dists" ]]; then
    echo "keel: first build: fetching Maven through the wrapper, then Keel's dependencies and engines from Maven Central" >&2
  else
    echo "keel: building (first use or sources changed; log in target/keel-build.log)..." >&2
  fi
  started=$SECONDS
  tty=0; [[ -t 2 ]] && tty=1
  set +e
  (cd "$ROOT" && ./mvnw -B -DskipTests -Dmaven.javadoc.skip=true package -pl "$module" -am 2>&1) | tee "$LOG" | progress "$tty"
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    echo "keel: build failed; the end of target/keel-build.log:" >&2
    grep -E '^\[ERROR\]' "$LOG" | head -20 >&2 || tail -20 "$LOG" >&2
    exit 1
  fi
  echo "keel: built in $((SECONDS - started)) s" >&2
  touch "$JAR"
}

# engine_env ARGS...: the environment and JVM options every Keel JVM started from the clone runs with;
# sets DEFAULT_JAVA_OPTS. With --verbose among ARGS the engines' own log lines stay on.
engine_env() {
  local verbose=0 a
  for a in "$@"; do [[ "$a" == "--verbose" ]] && verbose=1; done

  # DJL: never download, never phone home. glibc: keep large training buffers mapped (GUIDE.md section 3).
  export OPT_OUT_TRACKING=true
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-4294967296}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
  # PyTorch's OpenMP threads sleep at barriers instead of spinning: on a machine shared with other work, spinning
  # threads took pre-training from 44 to over 2,000 ms a step (docs/benchmarks.md, "Threads under contention").
  export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
  # TensorFlow's INFO and WARNING lines only with --verbose; Keel applies the level to Abseil's logger as well.
  if [[ $verbose -eq 1 ]]; then
    export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-0}"
  else
    export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
  fi
  # Memory: the engines' tensors live outside the Java heap, which holds only data and results, so a 1 GB cap
  # is plenty (without one the JVM may take a quarter of the machine); the serial collector adds no GC threads
  # competing for the cores the engines use.
  DEFAULT_JAVA_OPTS="-Xms64m -Xmx1g -XX:+UseSerialGC -Xss4m -Dai.djl.offline=true"
}
