#!/usr/bin/env bash
# Installs and starts what Stagecraft's providers and tests need on Debian/Ubuntu, only what is missing:
# each provider has its own step in scripts/setup.d/, run in name order. JDK 17+ and Maven must be present.
# Arguments name the steps to run (e.g. `install-deps.sh build sandbox`); none: every step.
set -euo pipefail
cd "$(dirname "$0")"

# One set-up at a time on a machine: two at once (a benchmark's and a test run's) would build into and restart the
# same things under each other. The second waits for the first, then finds everything in place. The lock is a
# directory holding the owner's pid, not a held descriptor, which the daemons started here would inherit and keep.
lock_dir="${STAGECRAFT_SETUP_LOCK:-/tmp/stagecraft-setup.lock}"
if [ "${STAGECRAFT_SETUP_LOCKED:-}" != "$lock_dir" ]; then
  waiting_said=""
  until mkdir "$lock_dir" 2>/dev/null; do
    holder=$(cat "$lock_dir/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
      rm -rf "$lock_dir"
      continue
    fi
    if [ -z "$waiting_said" ]; then
      echo "stagecraft setup: another set-up (pid ${holder:-?}) is running on this machine; waiting for it" >&2
      waiting_said=1
    fi
    sleep 2
  done
  echo $$ > "$lock_dir/pid"
  trap 'rm -rf "$lock_dir"' EXIT
  export STAGECRAFT_SETUP_LOCKED="$lock_dir"
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "stagecraft setup: '$tool' is missing: install JDK 17 and Maven first (apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

# apt_install PACKAGE... : installs the packages that are not installed yet (one apt-get update per run).
apt_updated=""
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "stagecraft setup: installing ${missing[*]}" >&2
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
export -f apt_install 2>/dev/null || true

# debian_mirror: the Debian mirror apt uses for bookworm (STAGECRAFT_DEBIAN_MIRROR overrides it).
debian_mirror() {
  if [ -n "${STAGECRAFT_DEBIAN_MIRROR:-}" ]; then
    echo "$STAGECRAFT_DEBIAN_MIRROR"
    return
  fi
  local mirror
  # deb822 (.sources): the URIs of a stanza whose Suites name bookworm (not the security archive).
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^URIs:/ { uri = $2 } /^Suites:/ { if ($0 ~ /bookworm( |$)/ && uri !~ /security/) { print uri; exit } } /^$/ { uri = "" }')
  if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' | sed -n 1p)
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}
export -f debian_mirror 2>/dev/null || true

for step in setup.d/*.sh; do
  name=$(basename "$step" .sh)
  name=${name#*-}
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
    continue
  fi
  # shellcheck source=/dev/null
  . "$step"
done
