#!/usr/bin/env bash
# Benchmarks: the sandbox provider against bare bubblewrap and fork/exec, in one run on this machine.
# Arguments go to BenchMain: [sandbox|docker|kvm|all] [iterations] [seconds-per-iteration] [threads]
# (default sandbox 5 2 4).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mvn -B -q -DskipTests install -pl bench -am
mvn -B -q dependency:build-classpath -pl bench -Dmdep.outputFile=target/bench.classpath >/dev/null
exec java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.stagecraft.bench.BenchMain "$@"
