#!/usr/bin/env bash
# Runs every test: installs what the tests need (bubblewrap), then unit, provider-contract and
# distribution tests against the real components; then the third-party path (scripts/example-provider.sh): the
# example provider built from its own folder against the installed api, kit and BOM, and loaded by the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mvn -B verify "$@"
bash scripts/example-provider.sh
