#!/usr/bin/env bash
# Benchmark: how long k8sci:rollout takes to notice that a rollout is done, from the moment the last
# Deployment status (all replicas updated and available) is written to the return of the goal's
# service (io.k8sci.deploy.RolloutService.run). Target: median below 250 ms (a watch, not a poll).
#
# Runs it/src/test/java/io/k8sci/it/bench/RolloutLatency.java against the test API server (fabric8's
# mock server with server-side apply) and its simulated deployment controller, all in one JVM: the
# controller records System.nanoTime() just before it sends the completing status, the main takes it
# right after run() returns. Prints every run, then median, p90, max and min in ms.
#
# Usage:   it/benchmark/rollout-latency.sh
# Env:     RUNS=20         measured rollouts in one JVM (updates of a 3-replica Deployment)
#          FRESH=10        JVMs that each measure one update, the first rollout of the JVM
#          MVN=mvn         the Maven command
# Needs:   nothing installed: the script compiles the plugin and the it module's test classes in
#          one reactor (so the harness is the checked-out one) and runs them from target/.
set -euo pipefail

# only for the harness's class path: the version Maven 3.8 uses by default, found offline
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:2.8

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-20}
FRESH=${FRESH:-10}
MVN=${MVN:-mvn}
WORK=$(mktemp -d /tmp/k8sci-rollout-latency.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "compiling the harness (it test classes)" >&2
(cd "$ROOT" && "$MVN" -B -q -o -pl k8sci-maven-plugin,it test-compile "$DEPENDENCY_PLUGIN:build-classpath" \
  -Dmdep.outputFile="$WORK/classpath.txt" -Dmdep.includeScope=test) >"$WORK/harness.log" 2>&1 || {
  tail -30 "$WORK/harness.log" >&2
  exit 1
}
CLASSPATH_IT="$ROOT/k8sci-maven-plugin/target/classes:$ROOT/k8sci-maven-plugin/target/test-classes:$ROOT/it/target/test-classes:$(cat "$WORK/classpath.txt")"

echo "java -cp ... io.k8sci.it.bench.RolloutLatency $RUNS   (in one JVM)" >&2
java -cp "$CLASSPATH_IT" io.k8sci.it.bench.RolloutLatency "$RUNS" 2> >(grep -v '^SLF4J' >&2)

# The goal runs once per Maven process: the same measure for the first rollout of a fresh JVM.
echo >&2
echo "java -cp ... io.k8sci.it.bench.RolloutLatency --first-in-jvm   ($FRESH JVMs)" >&2
for _ in $(seq 1 "$FRESH"); do
  java -cp "$CLASSPATH_IT" io.k8sci.it.bench.RolloutLatency --first-in-jvm 2>/dev/null | grep '^FIRST'
done >"$WORK/first.txt"
python3 - "$WORK/first.txt" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("FIRST")]
def stats(values):
    v = sorted(values)
    p = lambda q: v[max(0, math.ceil(q / 100 * len(v)) - 1)]
    return "%.1f | %.1f | %.1f | %.1f" % (p(50), p(90), v[-1], v[0])
print()
print("First rollout in a fresh JVM (%d JVMs; an existing 3-replica Deployment updated once, as a Maven process does):" % len(rows))
print()
print("| measure | median ms | p90 ms | max ms | min ms |")
print("|---|---|---|---|---|")
print("| status written -> goal returns | %s |" % stats([float(r[1]) for r in rows]))
watcher = [float(r[2]) for r in rows if r[2] != "nan"]
if watcher:
    print("| cross-check: watcher verdict -> watch returns | %s |" % stats(watcher))
for column, label in ((3, "phase: status written -> watcher logs 'successfully rolled out'"),
                      (4, "phase: -> 'Rollout complete' (after rollout.json is written)"),
                      (5, "phase: -> run() returns (client closed)")):
    print("| %s | %s |" % (label, stats([float(r[column]) for r in rows])))
PY
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
