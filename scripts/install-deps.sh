#!/usr/bin/env bash
# Installs what Stagecraft's providers and tests need on Debian/Ubuntu, only when missing.
# JDK 17+ and Maven must already be present.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
[ -e /usr/lib/x86_64-linux-gnu/libseccomp.so.2 ] || [ -e /lib/x86_64-linux-gnu/libseccomp.so.2 ] \
  || ldconfig -p 2>/dev/null | grep -q libseccomp.so.2 || need+=(libseccomp2)

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "stagecraft setup: '$tool' is missing: install JDK 17 and Maven first (apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "stagecraft setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
bwrap --version >&2
