#!/usr/bin/env bash
# Benchmarks: the sandbox provider against bare bubblewrap and fork/exec, in one run on this machine.
# Arguments go to BenchMain: [sandbox|docker|kvm|kubernetes|front|front-medium|all] [iterations] [seconds-per-iteration] [threads]
# (default sandbox 5 2 4), or load [waves] [concurrent] (default 4 500), or soak [runs] [clients] (default 10000 2).
# lambda [rounds] [creates] (default 40 5) measures the lambda provider against bare SDK calls, against the Lambda
# emulator: it runs the plugin's test class MeasureRoundTrip through Maven, since the emulator is that plugin's test code.
# Builds in the reactor (package, no install), so the classpath is this checkout's own modules.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = lambda ]; then
  echo "stagecraft bench lambda: MeasureRoundTrip (plugins/lambda's test classes) against the Lambda emulator, through Maven"
  exec mvn -B -q -pl plugins/provider-tck,plugins/lambda -am test -Dtest=MeasureRoundTrip \
    -Dsurefire.failIfNoSpecifiedTests=false -Dlambda.rounds="${2:-40}" -Dlambda.creates="${3:-5}"
fi
bash scripts/install-deps.sh
mvn -B -q -DskipTests package dependency:build-classpath -pl bench -am -Dmdep.outputFile=target/bench.classpath >/dev/null
exec java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.stagecraft.bench.BenchMain "$@"
