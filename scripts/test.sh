#!/usr/bin/env bash
# Runs every test: installs what the tests need (bubblewrap), then unit, provider-contract and
# distribution tests against the real components.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mvn -B verify "$@"
