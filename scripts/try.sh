#!/usr/bin/env bash
# The main job: set up this machine, build the distribution, and run a real sandboxed command with the
# selection explained.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build sandbox
echo "stagecraft setup: building (mvn package, tests skipped; scripts/test.sh runs them)" >&2
mvn -B -q -DskipTests install
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
rm -rf "target/stagecraft-$version" && mkdir -p target
tar -xzf "distribution/target/stagecraft-$version.tar.gz" -C target
export STAGECRAFT_STATE_DIR="${STAGECRAFT_STATE_DIR:-$PWD/target/state}"
"target/stagecraft-$version/bin/stagecraft" run --explain --security medium -- \
  sh -c 'echo "hello from the sandbox: uid=$(id -u) pid=$$ host=$(hostname)"; ls /'
