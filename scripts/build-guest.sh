#!/usr/bin/env bash
# Builds the kvm provider's default guest from Debian packages, once, into a cache:
#   $STAGECRAFT_KVM_IMAGES (default /var/lib/stagecraft/kvm/images)/vmlinuz     the cloud kernel
#                                                                   /initrd.img  busybox + qemu-ga + virtio modules
#                                                                   /inputs.sha256 what they were built from
# Rebuilt only when its inputs change (kernel, busybox, qemu-ga and its libraries, this script). Needs the
# packages linux-image-cloud-amd64, busybox-static, qemu-guest-agent and cpio (scripts/setup.d/30-kvm.sh).
set -euo pipefail

images="${STAGECRAFT_KVM_IMAGES:-/var/lib/stagecraft/kvm/images}"
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console)

die() { echo "stagecraft build-guest: $*" >&2; exit 1; }

kernel=$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64: apt-get install linux-image-cloud-amd64"
[ -r "$kernel" ] || die "$kernel is not readable (run as root)"
kversion=${kernel#/boot/vmlinuz-}
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || die "no static busybox: apt-get install busybox-static"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$busybox" || die "$busybox is not the static one: apt-get install busybox-static"
qga=/usr/sbin/qemu-ga
[ -x "$qga" ] || die "no $qga: apt-get install qemu-guest-agent"
command -v cpio >/dev/null || die "no cpio: apt-get install cpio"

# Everything that goes into the image, as paths: their contents decide whether to rebuild.
libraries=$(ldd "$qga" | awk '/=>/ { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u)
module_files=()
for module in "${modules[@]}"; do
  path=$(modinfo -k "$kversion" -n "$module" 2>/dev/null || true)
  if [ -z "$path" ] || [ "$path" = "(builtin)" ]; then
    grep -q "/$module.ko" "/lib/modules/$kversion/modules.builtin" 2>/dev/null \
      || die "kernel module $module not found for $kversion"
    continue
  fi
  module_files+=("$path")
done
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
inputs=$( { echo "$kversion"; sha256sum "$kernel" "$busybox" "$qga" $libraries "${module_files[@]}" "$self"; } | sha256sum | cut -d' ' -f1)

if [ -f "$images/inputs.sha256" ] && [ "$(cat "$images/inputs.sha256")" = "$inputs" ] \
   && [ -s "$images/vmlinuz" ] && [ -s "$images/initrd.img" ]; then
  echo "stagecraft build-guest: guest image is current ($images, kernel $kversion)" >&2
  exit 0
fi

echo "stagecraft build-guest: building the guest image into $images (kernel $kversion)" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var/lib,etc,workspace,lib/stagecraft-modules}
ln -s ../run "$root/var/run"
chmod 1777 "$root/tmp"

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$qga" "$root/usr/sbin/qemu-ga"
for lib in $libraries; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

i=0
for path in "${module_files[@]}"; do
  name=$(printf '%02d-%s' "$i" "$(basename "$path")")
  case "$path" in
    *.ko.xz) xz -dc "$path" > "$root/lib/stagecraft-modules/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$path" > "$root/lib/stagecraft-modules/${name%.zst}" ;;
    *.ko.gz) gzip -dc "$path" > "$root/lib/stagecraft-modules/${name%.gz}" ;;
    *) cp "$path" "$root/lib/stagecraft-modules/$name" ;;
  esac
  i=$((i + 1))
done

# qemu-ga's guest-shutdown runs /sbin/shutdown: power off right after answering.
cat > "$root/sbin/shutdown" <<'SHUTDOWN'
#!/bin/sh
sync
(sleep 0.2; poweroff -f) >/dev/null 2>&1 &
exit 0
SHUTDOWN
chmod 755 "$root/sbin/shutdown"

printf 'root:x:0:0:root:/workspace:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

cat > "$root/init" <<'INIT'
#!/bin/sh
# Stagecraft guest init: mount the basics, load the virtio modules, run the QEMU guest agent.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /workspace /dev/pts
mount -t devpts devpts /dev/pts
ip link set lo up 2>/dev/null
for module in /lib/stagecraft-modules/*.ko; do
  [ -e "$module" ] && insmod "$module"
done
port=""
i=0
while [ -z "$port" ] && [ $i -lt 500 ]; do
  for dir in /sys/class/virtio-ports/*; do
    [ -r "$dir/name" ] && [ "$(cat "$dir/name")" = org.qemu.guest_agent.0 ] && port=/dev/${dir##*/}
  done
  [ -n "$port" ] && [ -e "$port" ] && break
  port=""
  i=$((i + 1))
  usleep 10000
done
if [ -z "$port" ]; then
  echo "stagecraft init: no virtio port named org.qemu.guest_agent.0" >&2
  poweroff -f
fi
cd /workspace
exec /usr/sbin/qemu-ga --method=virtio-serial --path="$port" --statedir=/run
INIT
chmod 755 "$root/init"

mkdir -p "$images"
chmod 755 "$images" "$(dirname "$images")" 2>/dev/null || true
( cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet ) | gzip -6 > "$work/initrd.img"
cp "$kernel" "$work/vmlinuz"
chmod 644 "$work/initrd.img" "$work/vmlinuz"
mv -f "$work/vmlinuz" "$images/vmlinuz"
mv -f "$work/initrd.img" "$images/initrd.img"
echo "$kversion" > "$images/kernel.version"
echo "$inputs" > "$images/inputs.sha256"
echo "stagecraft build-guest: built $images/initrd.img ($(du -k "$images/initrd.img" | cut -f1) KiB)" >&2
