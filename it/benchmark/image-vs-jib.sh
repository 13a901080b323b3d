#!/usr/bin/env bash
# Benchmark: k8sci:image against Jib's Maven plugin (com.google.cloud.tools:jib-maven-plugin:3.5.2:build)
# on the sample service it/samples/hello-service, same local registry, same base image.
#
# What is timed (wall time and peak RSS of the whole Maven process, GNU time):
#   k8sci : mvn package -DskipTests                 (k8sci:image is bound to package)
#   Jib   : mvn package -DskipTests <jib>:build     (on a copy of the sample without k8sci's plugin)
# so both do the same Maven work (compile, jar, Spring Boot repackage) before building the image,
# and Jib's runs do not pay for loading k8sci's plugin (as they would if it were only skipped).
# Not offline (-o): Jib refuses to push in offline mode ("Cannot build to a container registry in
# offline mode"). Everything is resolved by the warm-up runs (which also do Maven's daily snapshot
# check), so no timed run downloads anything; update checks of Jib are off (jib.disableUpdateChecks).
#
# Scenarios, per iteration (the first tool alternates between iterations: k8sci,jib / jib,k8sci):
#   cold      both tools' layer caches emptied, a new target repository (nothing of the app in it;
#             the base image's blobs are in the same registry, so both tools mount them cross-repo)
#   no change the same build again (same repository)
#   one class Greeting.java edited (a new string literal), then built
# Plus "Maven alone": mvn package -DskipTests on the copy without k8sci (no image goal), to
# show how much of each wall time is the image tool, and "the image step alone": from the image
# goal's first log line to BUILD SUCCESS, by Maven's own timestamps (k8sci's includes loading its
# plugin, Jib's loading jib-maven-plugin; k8sci's plugin is loaded, to skip, in Jib's runs too).
#
# Bytes uploaded come from the registry's access log: completed blob uploads (final PUT/POST with
# ?digest=, status 201; cross-repository mounts are not uploads), sized from the registry's storage,
# plus the manifest PUTs. k8sci's uploaded layers are named from target/k8sci/image.json; Jib's from
# the first path in the layer tar (app/libs = dependencies, app/resources, app/classes, app/jib-*).
#
# Base image: nothing may be pulled from the internet, so the script first pushes a runtime-only
# image (the sample's jlink'ed Java runtime, java on PATH) to the local registry as base/jre:17,
# with it/src/test/java/io/k8sci/it/bench/PushJlinkBase.java; both tools build FROM it.
#
# The plugin measured is the checked-out one: the script installs it into a local repository of its
# own ($WORK/m2), read before ~/.m2/repository (Maven 3.9's maven.repo.local.tail), so that nothing
# is written to ~/.m2 and another build installing a different snapshot there cannot change what
# is measured.
#
# Usage:   it/benchmark/image-vs-jib.sh
# Env:     RUNS=5          iterations per scenario (medians over RUNS)
#          MVN=...         Maven 3.9+ (default: the Maven wrapper's distribution, as in CI)
#          KEEP=1          keep the work directory (logs, registry storage) for inspection
#          WORK=/tmp/dir   the work directory (default: a fresh mktemp -d)
# Needs:   /usr/bin/docker-registry, GNU time (/usr/bin/time), python3, curl; the dependencies of
#          the project and the sample in ~/.m2/repository. The first run resolves
#          jib-maven-plugin 3.5.2 from Maven Central (in the untimed warm-up).
set -euo pipefail

# only for the harness's class path: the version Maven 3.8 uses by default, found offline
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:2.8

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
KEEP=${KEEP:-0}
if [ -z "${MVN:-}" ]; then
  (cd "$ROOT" && ./mvnw -B -q -v >/dev/null) # fetches the wrapper's Maven on a first run
  MAVEN_VERSION=$(sed -n 's:^distributionUrl=.*/apache-maven-\([0-9.]*\)-bin.zip$:\1:p' \
    "$ROOT/.mvn/wrapper/maven-wrapper.properties")
  MVN=$(ls -d "$HOME/.m2/wrapper/dists/apache-maven-$MAVEN_VERSION"/*/bin/mvn 2>/dev/null | tail -1)
fi
JIB_PLUGIN=com.google.cloud.tools:jib-maven-plugin:3.5.2
WORK=${WORK:-$(mktemp -d /tmp/k8sci-bench.XXXXXX)}
mkdir -p "$WORK/logs"
REGISTRY_PID=

cleanup() {
  if [ -n "$REGISTRY_PID" ]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then
    echo "Work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

die() { echo "image-vs-jib: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

for tool in /usr/bin/docker-registry /usr/bin/time python3 curl bc "$MVN"; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
# Maven with a local repository of our own in front of ~/.m2/repository (read-only tail)
mvn_() { "$MVN" -B -Dmaven.repo.local="$WORK/m2" -Dmaven.repo.local.tail="$HOME/.m2/repository" "$@"; }

# ---------------------------------------------------------------- registry
STORAGE="$WORK/registry/storage"
mkdir -p "$STORAGE"
cat >"$WORK/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: "$STORAGE"
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
EOF
ACCESS_LOG="$WORK/registry/access.log"
: >"$ACCESS_LOG"
: >"$WORK/registry/registry.log"
env $(env | sed -n 's/^\(REGISTRY_[A-Za-z0-9_]*\)=.*/-u \1/p') \
  /usr/bin/docker-registry serve "$WORK/registry/config.yml" >"$ACCESS_LOG" 2>"$WORK/registry/registry.log" &
REGISTRY_PID=$!
PORT=
for _ in $(seq 1 300); do
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/registry/registry.log" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$REGISTRY_PID" 2>/dev/null || die "docker-registry exited: $(cat "$WORK/registry/registry.log")"
  sleep 0.1
done
[ -n "$PORT" ] || die "docker-registry did not start"
REGISTRY=127.0.0.1:$PORT
BASE=$REGISTRY/base/jre:17
log "registry on $REGISTRY, work directory $WORK"

# ---------------------------------------------------------------- the harness and the base image
log "installing the checked-out plugin into $WORK/m2 and compiling the harness (it test classes)"
(cd "$ROOT" && mvn_ -q -o install -DskipTests -pl k8sci-maven-plugin -am &&
  mvn_ -q -o -pl it test-compile "$DEPENDENCY_PLUGIN:build-classpath" \
    -Dmdep.outputFile="$WORK/classpath.txt" -Dmdep.includeScope=test) >"$WORK/logs/harness.log" 2>&1 ||
  die "harness build failed: $(tail -30 "$WORK/logs/harness.log")"
CLASSPATH_IT="$ROOT/it/target/test-classes:$(cat "$WORK/classpath.txt")"

copy_sample() {
  mkdir -p "$1"
  (cd "$ROOT/it/samples/hello-service" && tar --exclude=./target -cf - .) | (cd "$1" && tar -xf -)
}

# the sample without k8sci-maven-plugin: Jib's runs and "Maven alone" must not load (and skip) it
remove_k8sci_plugin() {
  python3 - "$1/pom.xml" <<'PY'
import re, sys
path = sys.argv[1]
pom = open(path, encoding="utf-8").read()
stripped = re.sub(r"\s*<plugin>(?:(?!</plugin>).)*<artifactId>k8sci-maven-plugin</artifactId>.*?</plugin>",
                  "", pom, flags=re.S)
if stripped == pom or "k8sci-maven-plugin" in stripped:
    sys.exit("could not remove k8sci-maven-plugin from " + path)
open(path, "w", encoding="utf-8").write(stripped)
PY
}

log "building the sample once and pushing its jlink runtime as $BASE"
copy_sample "$WORK/base-app"
(cd "$WORK/base-app" && mvn_ -q -o package -DskipTests -Dk8sci.image.skip=true) \
  >"$WORK/logs/base-app.log" 2>&1 || die "sample build failed: $(tail -30 "$WORK/logs/base-app.log")"
java -cp "$CLASSPATH_IT" io.k8sci.it.bench.PushJlinkBase "$BASE" \
  "$WORK/base-app/target/hello-service-1.0.0.jar" "$WORK/jlink-cache" >"$WORK/logs/base-image.log" 2>&1 ||
  die "pushing the base image failed: $(tail -30 "$WORK/logs/base-image.log")"
tail -1 "$WORK/logs/base-image.log" | cut -c1-120 >&2

# ---------------------------------------------------------------- one timed build
# run_build TOOL SCENARIO ITERATION REPOSITORY [extra maven flags...]; appends one line to results.tsv
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

maven_args() { # TOOL REPOSITORY
  case "$1" in
    k8sci)
      echo "package -DskipTests -Dk8sci.from=$BASE -Dk8sci.to=$REGISTRY/$2 -Dk8sci.allowInsecureRegistries=true -Dk8sci.cacheDir=$WORK/k8sci/cache"
      ;;
    jib)
      echo "package -DskipTests $JIB_PLUGIN:build -Djib.from.image=$BASE -Djib.to.image=$REGISTRY/$2:1.0.0 -Djib.allowInsecureRegistries=true -Djib.disableUpdateChecks=true -Djib.baseImageCache=$WORK/jib/cache/base -Djib.applicationCache=$WORK/jib/cache/application"
      ;;
    maven)
      echo "package -DskipTests"
      ;;
  esac
}

project_dir() { echo "$WORK/$1/hello-service"; }

run_build() {
  local tool=$1 scenario=$2 iteration=$3 repository=$4
  local dir name before wall rss
  dir=$(project_dir "$tool")
  name="$iteration-$scenario-$tool"
  before=$(wc -l <"$ACCESS_LOG")
  # shellcheck disable=SC2046
  if ! (cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$WORK/logs/$name.time" \
    "$MVN" -B -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
    -Dmaven.repo.local="$WORK/m2" -Dmaven.repo.local.tail="$HOME/.m2/repository" \
    $(maven_args "$tool" "$repository")) >"$WORK/logs/$name.log" 2>&1; then
    die "build $name failed:
$(tail -40 "$WORK/logs/$name.log")"
  fi
  read -r wall rss user sys <"$WORK/logs/$name.time"
  # let the registry flush the access-log lines of the last responses
  curl -s -o /dev/null "http://$REGISTRY/v2/?k8sci-bench-marker=$name" || true
  for _ in $(seq 1 100); do grep -q "k8sci-bench-marker=$name" "$ACCESS_LOG" && break; sleep 0.02; done
  tail -n +"$((before + 1))" "$ACCESS_LOG" >"$WORK/logs/$name.access"
  python3 - "$tool" "$scenario" "$iteration" "$wall" "$rss" "$WORK/logs/$name.access" "$STORAGE" \
    "$dir/target/k8sci/image.json" "$REGISTRY" "$(echo "$user + $sys" | bc)" "$WORK/logs/$name.log" \
    >>"$RESULTS" <<'PY'
import datetime, json, os, re, sys, tarfile
tool, scenario, iteration, wall, rss, access, storage, record, registry, cpu, build_log = sys.argv[1:12]

# the image step alone: from the goal's "--- ..." line to BUILD SUCCESS (Maven's own timestamps)
def step_seconds():
    goal = {"k8sci": "--- k8sci:", "jib": "--- jib:"}.get(tool)
    if goal is None:
        return "-"
    start = end = None
    for line in open(build_log, encoding="utf-8", errors="replace"):
        stamp = line[:12]
        if start is None and goal in line and (tool != "k8sci" or ":image " in line):
            start = stamp
        elif "BUILD SUCCESS" in line:
            end = stamp
    if not start or not end:
        return "-"
    t = lambda s: datetime.datetime.strptime(s, "%H:%M:%S.%f")
    return "%.3f" % (t(end) - t(start)).total_seconds()
line_re = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) ')
uploads, manifests = [], []
for line in open(access, encoding="utf-8", errors="replace"):
    m = line_re.match(line)
    if not m or "k8sci-bench-marker" in m.group(2):
        continue
    method, uri, status = m.group(1), m.group(2), int(m.group(3))
    path, _, query = uri.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    if status == 201 and method in ("PUT", "POST") and re.match(r"/v2/.+/blobs/uploads/", path) \
            and "digest" in params:
        uploads.append(params["digest"].replace("%3A", ":"))
    elif status == 201 and method == "PUT" and re.match(r"/v2/.+/manifests/", path):
        manifests.append(path)

def blob(digest):
    h = digest.split(":", 1)[1]
    return os.path.join(storage, "docker/registry/v2/blobs/sha256", h[:2], h, "data")

def size(digest):
    try:
        return os.path.getsize(blob(digest))
    except OSError:
        return 0

names = {}
if tool == "k8sci" and os.path.exists(record):
    for layer in json.load(open(record))["layers"]:
        names[layer["digest"]] = layer["name"]

def jib_name(digest):
    try:
        with tarfile.open(blob(digest), "r:gz") as t:
            for member in t:
                if member.isfile():
                    p = member.name.lstrip("./")
                    for prefix, name in (("app/libs/", "dependencies"), ("app/resources/", "resources"),
                                         ("app/classes/", "classes"), ("app/jib-", "jvm-arg-files")):
                        if p.startswith(prefix):
                            return name
                    return p
    except (tarfile.TarError, OSError, EOFError):
        return None  # not a tar: the container config
    return None

labels = []
for d in uploads:
    name = names.get(d) if tool == "k8sci" else jib_name(d)
    labels.append("%s(%d B)" % (name or "config", size(d)))
manifest_bytes = 0
if manifests:
    import urllib.request
    request = urllib.request.Request("http://" + registry + manifests[-1], headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        manifest_bytes = len(response.read()) * len(manifests)
if manifests:
    labels.append("manifest(%d B)" % (manifest_bytes // len(manifests)))
uploaded = sum(size(d) for d in uploads) + manifest_bytes
print("\t".join([tool, scenario, iteration, wall, rss, str(uploaded), str(len(uploads)),
                 str(len(manifests)), " ".join(labels) or "-", cpu, step_seconds()]))
PY
  log "$(tail -1 "$RESULTS" | cut -f1-8,10,11)"
}

edit_greeting() { # DIR N
  local file="$1/src/main/java/io/k8sci/sample/hello/Greeting.java"
  sed -i -E "s/return \"Hello[^\"]*, \"/return \"Hello #$2, \"/" "$file"
  grep -q "Hello #$2, " "$file" || die "could not edit $file"
}

# ---------------------------------------------------------------- preparation and warm-up
for tool in k8sci jib maven; do
  copy_sample "$WORK/$tool/hello-service"
done
remove_k8sci_plugin "$WORK/jib/hello-service"
remove_k8sci_plugin "$WORK/maven/hello-service"
log "warm-up (untimed; resolves $JIB_PLUGIN on a first run)"
run_build k8sci warmup 0 bench/warmup-k8sci
run_build jib warmup 0 bench/warmup-jib
run_build maven warmup 0 -

# ---------------------------------------------------------------- the measured runs
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then order="k8sci jib"; else order="jib k8sci"; fi
  for tool in $order; do
    rm -rf "$WORK/$tool/cache"
    run_build "$tool" cold "$i" "bench/$tool-$i"
  done
  for tool in $order; do
    run_build "$tool" nochange "$i" "bench/$tool-$i"
  done
  run_build maven nochange "$i" -
  for tool in $order; do
    edit_greeting "$(project_dir "$tool")" "$i"
    run_build "$tool" oneclass "$i" "bench/$tool-$i"
  done
done

# ---------------------------------------------------------------- the table
python3 - "$RESULTS" "$RUNS" <<'PY'
import statistics, sys
results, runs = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(results) if l.strip()]
rows = [r for r in rows if r[1] != "warmup"]

def values(tool, scenario, column):
    return [float(r[column]) for r in rows if r[0] == tool and r[1] == scenario and r[column] != "-"]

def med(tool, scenario, column=3):
    v = values(tool, scenario, column)
    return statistics.median(v) if v else float("nan")

maven = med("maven", "nochange")
print()
print("k8sci:image vs jib-maven-plugin 3.5.2:build, sample hello-service, median of %s runs" % runs)
print("(wall time of the whole `mvn package ...`; 'Maven alone' = the same package of the sample without k8sci's plugin: %.2f s)" % maven)
print()
print("| scenario | k8sci median s | Jib median s | ratio of medians | median of paired ratios | target | k8sci CPU s | Jib CPU s |")
print("|---|---|---|---|---|---|---|---|")
for scenario, label, target in (("cold", "cold (empty caches)", 0.9), ("nochange", "no change", 1.0),
                                ("oneclass", "one-class change", 0.9)):
    k, j = med("k8sci", scenario), med("jib", scenario)
    ratio = k / j
    byrun = {}
    for r in rows:
        if r[1] == scenario and r[0] in ("k8sci", "jib"):
            byrun.setdefault(r[2], {})[r[0]] = float(r[3])
    paired = statistics.median([v["k8sci"] / v["jib"] for v in byrun.values() if len(v) == 2])
    print("| %s | %.2f | %.2f | %.2f | %.2f | <= %.1f %s | %.2f | %.2f |" % (
        label, k, j, ratio, paired, target, "met" if ratio <= target else "MISSED",
        med("k8sci", scenario, 9), med("jib", scenario, 9)))
print()
print("(paired ratio: k8sci/Jib of the two runs of one iteration, which ran back to back; CPU s: user +"
      " system time of the Maven process, less sensitive than wall time to other load on the machine;"
      " 'Maven alone' CPU: %.2f s)" % med("maven", "nochange", 9))
print()
print("The image step alone (from the image goal's first log line to BUILD SUCCESS; k8sci's includes loading")
print("its plugin, Jib's loading jib-maven-plugin; Maven's own phases are left out):")
print()
print("| scenario | k8sci median s | Jib median s | ratio of medians |")
print("|---|---|---|---|")
for scenario, label in (("cold", "cold (empty caches)"), ("nochange", "no change"), ("oneclass", "one-class change")):
    k, j = med("k8sci", scenario, 10), med("jib", scenario, 10)
    print("| %s | %.2f | %.2f | %.2f |" % (label, k, j, k / j))
print()
print("| one-class change | k8sci | Jib |")
print("|---|---|---|")
for label, column, fmt in (("bytes uploaded (median)", 5, "%.0f"), ("blobs uploaded (median)", 6, "%.0f"),
                           ("manifests pushed (median)", 7, "%.0f")):
    print("| %s | %s | %s |" % (label, fmt % med("k8sci", "oneclass", column), fmt % med("jib", "oneclass", column)))
def layers(tool):
    seen = sorted({r[8] for r in rows if r[0] == tool and r[1] == "oneclass"})
    return "; ".join(seen)
print("| blobs uploaded (name, size) | %s | %s |" % (layers("k8sci"), layers("jib")))
print()
print("| peak RSS of the Maven process, median MB | k8sci | Jib | Maven alone |")
print("|---|---|---|---|")
for scenario, label in (("cold", "cold"), ("nochange", "no change"), ("oneclass", "one-class change")):
    mv = "%.0f" % (med("maven", "nochange", 4) / 1024) if scenario == "nochange" else ""
    print("| %s | %.0f | %.0f | %s |" % (label, med("k8sci", scenario, 4) / 1024, med("jib", scenario, 4) / 1024, mv))
print()
print("Raw runs (tool, scenario, iteration, wall s, peak RSS KB, bytes uploaded, blobs, manifests, CPU s,"
      " image step s):")
for r in rows:
    print("  " + " ".join(r[:8] + r[9:11]))
PY
echo
echo "Maven: $("$MVN" -v | head -1 | sed 's/\x1b\[[0-9;]*m//g'), $(java -version 2>&1 | head -1)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
