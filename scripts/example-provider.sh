#!/usr/bin/env bash
# The third-party path, end to end, as an outsider takes it (docs/writing-a-provider.md):
#   1. installs what a provider written elsewhere builds against into the local Maven repository: stagecraft-api,
#      stagecraft-provider-tck and stagecraft-bom (with their parent poms), and nothing else of the reactor, so the
#      example cannot lean on a plugin, the core or the distribution;
#   2. builds and tests examples/firejail-provider from its own folder (its own pom, no reactor);
#   3. unpacks the released tarball into a temporary folder, drops the example's zip into its plugins/, and checks
#      that `stagecraft plugins` lists it with its own version, `select --security low --explain` scores it and
#      `run --provider firejail --security low -- id` runs in it.
# Run after the main build (scripts/test.sh does), which made distribution/target/stagecraft-*.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "example provider: $*" >&2; exit 1; }

mvn -B -q -DskipTests install -pl api,plugins/provider-tck,bom -am
mvn -B -f examples/firejail-provider/pom.xml verify

tarball=$(ls distribution/target/stagecraft-*.tar.gz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || fail "no distribution/target/stagecraft-*.tar.gz: build the distribution first (mvn -B verify)"
zip=$(ls examples/firejail-provider/target/firejail-*.zip 2>/dev/null | head -n 1)
[ -n "$zip" ] || fail "examples/firejail-provider/target has no firejail-*.zip"
version=$(basename "$zip" .zip); version=${version#firejail-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
home=$(ls -d "$work"/stagecraft-*/ | head -n 1)
cp "$zip" "$home/plugins/"
stagecraft() { "$home/bin/stagecraft" "$@"; }

plugins=$(stagecraft plugins 2>&1) || fail "stagecraft plugins failed: $plugins"
echo "$plugins"
echo "$plugins" | grep -q "firejail.*$version" || fail "stagecraft plugins does not list firejail $version"

explain=$(stagecraft select --security low --explain 2>&1) || fail "stagecraft select failed: $explain"
echo "$explain"
echo "$explain" | grep -Eq '^ +\+ firejail +total' || fail "select --security low --explain does not score firejail"

medium=$(stagecraft select --security medium --explain 2>&1 || true)
echo "$medium" | grep -Eq '^ +- firejail ' || fail "select --security medium does not drop firejail (process isolation): $medium"

ran=$(stagecraft run --provider firejail --security low -- id 2>&1) || fail "stagecraft run --provider firejail failed: $ran"
echo "$ran"
echo "$ran" | grep -q "uid=" || fail "id printed nothing in a firejail environment"
echo "example provider: firejail $version built, tested, loaded and run by the released tarball" >&2
