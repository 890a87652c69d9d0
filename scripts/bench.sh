#!/usr/bin/env bash
# Benchmarks: the sandbox provider against bare bubblewrap and fork/exec, in one run on this machine.
# Arguments go to BenchMain: [sandbox|docker|kvm|kubernetes|front|front-medium|all] [iterations] [seconds-per-iteration] [threads]
# (default sandbox 5 2 4), or load [waves] [concurrent] (default 4 500), or soak [runs] [clients] (default 10000 2).
# Builds in the reactor (package, no install), so the classpath is this checkout's own modules.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mvn -B -q -DskipTests package dependency:build-classpath -pl bench -am -Dmdep.outputFile=target/bench.classpath >/dev/null
exec java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.stagecraft.bench.BenchMain "$@"
