#!/usr/bin/env bash
# Builds a root filesystem image for the kvm provider's guests from Debian packages, once, into a cache:
#   $STAGECRAFT_KVM_IMAGES (default /var/lib/stagecraft/kvm/images)/NAME.qcow2 -> root-NAME-KEY.qcow2
# an ext4 filesystem (no partition table) that every VM of that image opens read-only: debootstrap minbase of
# Debian bookworm plus the image's packages, the guest agent (qemu-guest-agent), util-linux's setpriv and prlimit,
# busybox (nc, ping, ... for the hostile battery), the user `sandbox` (uid/gid 1000, home /home/sandbox) and an
# empty /workspace. KEY hashes the image's package list, the suite and this script: a change makes a new file and
# moves the link (overlays never point at the root, but running VMs still read the old file, so it is not replaced
# in place). The Debian mirror is not part of the key; `--rebuild` builds again from today's packages.
#
#   build-guest-root.sh [--rebuild] [NAME]     NAME: python (default)
#
# Needs debootstrap, e2fsprogs (mkfs.ext4 -d) and qemu-utils; about a minute and 90 MB download on a fresh machine.
set -euo pipefail

die() { echo "stagecraft build-guest-root: $*" >&2; exit 1; }

rebuild=""
if [ "${1:-}" = "--rebuild" ]; then rebuild=1; shift; fi
name="${1:-python}"
case "$name" in
  python) packages="python3,python3-venv" ;;
  *) die "unknown image '$name' (known: python)" ;;
esac
# What every image has: the agent, the tools the provider's exec wrapper uses, and the battery's busybox tools.
packages="$packages,qemu-guest-agent,tini,util-linux,busybox,ca-certificates"

images="${STAGECRAFT_KVM_IMAGES:-/var/lib/stagecraft/kvm/images}"
suite="${STAGECRAFT_DEBIAN_SUITE:-bookworm}"
mirror="${STAGECRAFT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and the image's file owners need it)"
command -v debootstrap >/dev/null || die "no debootstrap: apt-get install debootstrap"
mkfs=$(command -v mkfs.ext4 || true)
[ -n "$mkfs" ] || die "no mkfs.ext4: apt-get install e2fsprogs"
qemu_img=$(command -v qemu-img || true)
[ -n "$qemu_img" ] || die "no qemu-img: apt-get install qemu-utils"

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
key=$( { echo "$name $suite $packages"; sha256sum < "$self"; } | sha256sum | cut -c1-16)
file="root-$name-$key.qcow2"
mkdir -p "$images"
if [ -z "$rebuild" ] && [ -s "$images/$file" ]; then
  [ "$(readlink "$images/$name.qcow2" 2>/dev/null)" = "$file" ] || ln -sfn "$file" "$images/$name.qcow2"
  echo "stagecraft build-guest-root: the $name root image is current ($images/$file)" >&2
  exit 0
fi

started=$SECONDS
echo "stagecraft build-guest-root: building the $name root image (debootstrap $suite from $mirror, about a minute)" >&2
work=$(mktemp -d /var/tmp/stagecraft-root.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap failed (log above); is $mirror reachable? STAGECRAFT_DEBIAN_MIRROR names another mirror"
fi

# The user every command runs as, its home (a tmpfs at run time) and the workspace's mount point.
chroot "$root" groupadd --gid 1000 sandbox
chroot "$root" useradd --uid 1000 --gid 1000 --home-dir /home/sandbox --no-create-home --shell /bin/sh sandbox
mkdir -p "$root/home/sandbox" "$root/workspace"
chown 1000:1000 "$root/home/sandbox" "$root/workspace"
echo stagecraft > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tstagecraft\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"
# busybox's tools by their names where Debian has none (nc, ping, ...), never over a Debian one.
for applet in nc ping hostname reboot; do
  [ -e "$root/bin/$applet" ] || [ -e "$root/usr/bin/$applet" ] || [ -e "$root/sbin/$applet" ] \
    || ln -s /bin/busybox "$root/usr/bin/$applet"
done
# qemu-ga's guest-shutdown runs /sbin/shutdown (minbase has no init system): sync, then power off at once.
cat > "$root/sbin/shutdown" <<'SHUTDOWN'
#!/bin/sh
sync
mount -o remount,ro /workspace 2>/dev/null
(sleep 0.2; busybox poweroff -f) >/dev/null 2>&1 &
exit 0
SHUTDOWN
chmod 755 "$root/sbin/shutdown"
# What the image is, for `cat /etc/stagecraft-image` inside and for doctor.
printf 'name=%s\nsuite=%s\nbuilt=%s\npython=%s\n' "$name" "$suite" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(chroot "$root" python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo none)" \
  > "$root/etc/stagecraft-image"
# Nothing the guest needs at run time: package caches and lists, documentation, manuals, translations.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# Python's bytecode for the standard library, compiled now: the root is read-only at run time.
chroot "$root" python3 -m compileall -q -j 0 /usr/lib/python3 /usr/lib/python3.11 >/dev/null 2>&1 || true

# A read-only filesystem: no journal, no reserved blocks, 20% free space for nothing but metadata slack.
used_kib=$(du -sk "$root" | cut -f1)
size_mib=$(( used_kib * 12 / 10 / 1024 + 64 ))
truncate -s "${size_mib}M" "$work/root.raw"
"$mkfs" -q -F -L "sc-$name" -m 0 -O ^has_journal -E lazy_itable_init=0,root_owner=0:0 -d "$root" "$work/root.raw"
"$qemu_img" convert -f raw -O qcow2 "$work/root.raw" "$work/root.qcow2"
chmod 644 "$work/root.qcow2"
mv -f "$work/root.qcow2" "$images/$file"
ln -sfn "$file" "$images/$name.qcow2"
echo "stagecraft build-guest-root: built $images/$file (${size_mib} MiB ext4, $(du -m "$images/$file" | cut -f1) MiB" \
  "as qcow2) in $((SECONDS - started)) s" >&2
