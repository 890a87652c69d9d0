#!/usr/bin/env bash
# Builds the kvm provider's default guest from Debian packages, once, into a cache:
#   $STAGECRAFT_KVM_IMAGES (default /var/lib/stagecraft/kvm/images)/vmlinuz     the cloud kernel
#                                                                   /initrd.img  busybox + qemu-ga + virtio modules
#                                                                   /workspace.qcow2 -> workspace-KEY.qcow2, an empty
#                                                                     ext4 filesystem: the base of each environment's
#                                                                     copy-on-write workspace disk
#                                                                   /inputs.sha256 what they were built from
# Rebuilt only when its inputs change (kernel, busybox, qemu-ga and its libraries, this script). Needs the
# packages linux-image-cloud-amd64, busybox-static, qemu-guest-agent, cpio, e2fsprogs and qemu-utils
# (scripts/setup.d/30-kvm.sh). STAGECRAFT_KVM_WORKSPACE_SIZE (default 4G) is the workspace filesystem's size.
set -euo pipefail

images="${STAGECRAFT_KVM_IMAGES:-/var/lib/stagecraft/kvm/images}"
workspace_size="${STAGECRAFT_KVM_WORKSPACE_SIZE:-4G}"
# What the guest needs: the virtio PCI transport, the agent's serial port, the workspace disk and its filesystem.
# Their dependencies are added from the kernel's own module metadata, each before the modules that need it.
wanted_modules=(virtio_pci virtio_console virtio_blk ext4)

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
mkfs=$(command -v mkfs.ext4 || true)
[ -n "$mkfs" ] || die "no mkfs.ext4: apt-get install e2fsprogs"
command -v debugfs >/dev/null || die "no debugfs: apt-get install e2fsprogs"
qemu_img=$(command -v qemu-img || true)
[ -n "$qemu_img" ] || die "no qemu-img: apt-get install qemu-utils"

# Everything that goes into the image, as paths: their contents decide whether to rebuild.
libraries=$(ldd "$qga" | awk '/=>/ { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u)
# Depth first over "modinfo -F depends", so that each module comes after everything it needs (the order insmod
# needs); built-in modules need no file. A soft dependency ("pre: crypto-crc32c") is followed the same way.
module_files=()
declare -A module_seen=()
add_module() {
  local module=$1 path dep
  [ -n "${module_seen[$module]:-}" ] && return 0
  module_seen[$module]=1
  path=$(modinfo -k "$kversion" -n "$module" 2>/dev/null || true)
  if [ -z "$path" ]; then
    die "kernel module $module not found for $kversion"
  fi
  [ "$path" = "(builtin)" ] && return 0
  for dep in $(modinfo -k "$kversion" -F depends "$module" | tr ',' ' ') \
             $(modinfo -k "$kversion" -F softdep "$module" | sed -n 's/^pre: *//p' | sed 's/ post:.*//'); do
    add_module "$dep"
  done
  module_files+=("$path")
}
for module in "${wanted_modules[@]}"; do
  add_module "$module"
done
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
inputs=$( { echo "$kversion"; sha256sum "$kernel" "$busybox" "$qga" $libraries "${module_files[@]}" "$self"; } | sha256sum | cut -d' ' -f1)

# The workspace disk's base: an empty ext4 filesystem (inode tables written now, so that the guest's kernel has
# no lazy initialisation to write into each overlay), without lost+found so that a new workspace lists empty,
# compacted to qcow2 (only the clusters mkfs wrote take space). Overlays of stopped environments point at the
# file they were made from, so a base is never rewritten: a new size or mkfs makes a new workspace-KEY.qcow2
# and moves the workspace.qcow2 link (the provider makes overlays of the link's target).
mkdir -p "$images"
chmod 755 "$images" "$(dirname "$images")" 2>/dev/null || true
mkfs_options="-q -F -L stagecraft-ws -m 0 -E lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0"
workspace_key=$( { echo "$workspace_size $mkfs_options rmdir-lost+found"; "$mkfs" -V 2>&1 | sed -n 1p; } \
  | sha256sum | cut -c1-16)
workspace_file="workspace-$workspace_key.qcow2"
if [ ! -s "$images/$workspace_file" ]; then
  workspace_work=$(mktemp -d)
  truncate -s "$workspace_size" "$workspace_work/workspace.raw"
  # shellcheck disable=SC2086
  "$mkfs" $mkfs_options "$workspace_work/workspace.raw"
  debugfs -w -R "rmdir lost+found" "$workspace_work/workspace.raw" >/dev/null 2>&1
  "$qemu_img" convert -f raw -O qcow2 "$workspace_work/workspace.raw" "$workspace_work/workspace.qcow2"
  chmod 644 "$workspace_work/workspace.qcow2"
  mv -f "$workspace_work/workspace.qcow2" "$images/$workspace_file"
  rm -rf "$workspace_work"
  echo "stagecraft build-guest: built $images/$workspace_file ($workspace_size ext4," \
    "$(du -k "$images/$workspace_file" | cut -f1) KiB)" >&2
fi
if [ "$(readlink "$images/workspace.qcow2" 2>/dev/null)" != "$workspace_file" ]; then
  ln -sfn "$workspace_file" "$images/workspace.qcow2"
fi

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
mount -o remount,ro /workspace 2>/dev/null
(sleep 0.2; poweroff -f) >/dev/null 2>&1 &
exit 0
SHUTDOWN
chmod 755 "$root/sbin/shutdown"

printf 'root:x:0:0:root:/workspace:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

cat > "$root/init" <<'INIT'
#!/bin/sh
# Stagecraft guest init: mount the basics, load the virtio modules, find the guest agent's port and the disks the
# kernel command line announces (stagecraft.root=1: a read-only root filesystem, serial stagecraft-root;
# stagecraft.workspace=1: the workspace, serial stagecraft-workspace), set up the cgroup every command runs in,
# and run the QEMU guest agent: from this initramfs, or on the root disk after switch_root.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
# One console line per boot phase with the guest's uptime (seconds since the kernel started): the provider's serial
# log keeps them, and the kvm benchmark reports their medians.
phase() {
  read -r up _ < /proc/uptime
  echo "stagecraft init: phase $1 at ${up}s" >&2
}
phase init
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ip link set lo up 2>/dev/null
for module in /lib/stagecraft-modules/*.ko; do
  [ -e "$module" ] && insmod "$module"
done
phase modules
fail() {
  echo "stagecraft init: $*" >&2
  poweroff -f
}
# stagecraft.NAME=VALUE from the kernel command line, or $2.
param() {
  for word in $(cat /proc/cmdline); do
    case "$word" in "stagecraft.$1="*) echo "${word#*=}"; return ;; esac
  done
  echo "$2"
}
# The node of the virtio disk whose serial is $1, waiting up to 3 s for it; empty when it does not come.
disk_with_serial() {
  i=0
  while [ $i -lt 300 ]; do
    for dir in /sys/block/vd*; do
      if [ -r "$dir/serial" ] && [ "$(cat "$dir/serial")" = "$1" ] && [ -e "/dev/${dir##*/}" ]; then
        echo "/dev/${dir##*/}"
        return
      fi
    done
    i=$((i + 1))
    usleep 10000
  done
}
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
[ -n "$port" ] || fail "no virtio port named org.qemu.guest_agent.0"
phase agent-port

has_root=$(param root 0)
has_workspace=$(param workspace "")
# A domain defined before these parameters existed: any virtio block device (id 0x0002) is the workspace.
if [ -z "$has_workspace" ]; then
  has_workspace=0
  grep -qx 0x0002 /sys/bus/virtio/devices/*/device 2>/dev/null && has_workspace=1
fi
tmp_size=$(param tmp 50%)
new=""
if [ "$has_root" = 1 ]; then
  disk=$(disk_with_serial stagecraft-root)
  [ -n "$disk" ] || fail "the root disk (serial stagecraft-root) did not appear"
  mkdir -p /newroot
  mount -t ext4 -o ro,noatime "$disk" /newroot 2>/dev/null || mount -o ro "$disk" /newroot \
    || fail "the root disk $disk did not mount read-only"
  new=/newroot
fi
mount -t tmpfs -o mode=1777,nosuid,nodev,size="$tmp_size" tmpfs "$new/tmp"
mount -t tmpfs -o mode=755,nosuid,nodev,size=16m tmpfs "$new/run"
mkdir -p -m 700 "$new/run/stagecraft"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev,size="$tmp_size" tmpfs /dev/shm
# A workspace disk that does not mount stops the VM: a workspace that silently lost its files would be worse than
# a failed start (the provider quotes this console in its error). Without one, /workspace is in RAM.
mkdir -p "$new/workspace" 2>/dev/null
if [ "$has_workspace" = 1 ]; then
  disk=$(disk_with_serial stagecraft-workspace)
  if [ -z "$disk" ] || ! mount -t ext4 -o noatime,nosuid,nodev "$disk" "$new/workspace"; then
    fail "the workspace disk (serial stagecraft-workspace) did not mount"
  fi
elif [ -n "$new" ]; then
  mount -t tmpfs -o mode=755,nosuid,nodev,size="$tmp_size" tmpfs "$new/workspace"
fi
# Commands run as the root image's uid 1000 when it has one and setpriv to get there (the provider's exec wrapper
# reads /run/stagecraft/run-as); its home is a tmpfs of its own.
if [ -n "$new" ] && [ -x "$new/usr/bin/setpriv" ] && grep -q '^[^:]*:[^:]*:1000:1000:' "$new/etc/passwd"; then
  home=$(grep '^[^:]*:[^:]*:1000:' "$new/etc/passwd" | cut -d: -f6)
  [ -n "$home" ] && [ -d "$new$home" ] \
    && mount -t tmpfs -o mode=700,uid=1000,gid=1000,nosuid,nodev,size="$tmp_size" tmpfs "$new$home"
  chown 1000:1000 "$new/workspace"
  echo "1000:1000:$home" > "$new/run/stagecraft/run-as"
fi
phase disks
# The cgroup every command runs in (one child per command, made by the exec wrapper): its memory, process and
# CPU limits are the environment's, from the command line; the agent stays outside it, and out of the OOM
# killer's reach (the wrapper raises the commands' score again).
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup 2>/dev/null
if [ -w /sys/fs/cgroup/cgroup.subtree_control ]; then
  echo "+memory +pids +cpu" > /sys/fs/cgroup/cgroup.subtree_control
  mkdir -p /sys/fs/cgroup/sandbox
  echo "+memory +pids" > /sys/fs/cgroup/sandbox/cgroup.subtree_control
  echo "$(param memory max)" > /sys/fs/cgroup/sandbox/memory.max
  echo 0 > /sys/fs/cgroup/sandbox/memory.swap.max 2>/dev/null
  echo "$(param pids max)" > /sys/fs/cgroup/sandbox/pids.max
  echo "$(param cpu max) 100000" > /sys/fs/cgroup/sandbox/cpu.max
fi
echo -1000 > /proc/self/oom_score_adj
phase agent
if [ -n "$new" ]; then
  for fs in /dev /proc /sys; do mount --move "$fs" "$new$fs"; done
  agent=/usr/sbin/qemu-ga
  [ -x "$new$agent" ] || agent=/usr/bin/qemu-ga
  [ -x "$new$agent" ] || fail "the root disk has no qemu-ga (/usr/sbin/qemu-ga or /usr/bin/qemu-ga)"
  if [ -x "$new/usr/bin/tini" ]; then
    exec switch_root "$new" /usr/bin/tini -- "$agent" --method=virtio-serial --path="$port" --statedir=/run
  fi
  exec switch_root "$new" "$agent" --method=virtio-serial --path="$port" --statedir=/run
fi
cd /workspace
exec /usr/sbin/qemu-ga --method=virtio-serial --path="$port" --statedir=/run
INIT
chmod 755 "$root/init"

( cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet ) | gzip -6 > "$work/initrd.img"
cp "$kernel" "$work/vmlinuz"
chmod 644 "$work/initrd.img" "$work/vmlinuz"
mv -f "$work/vmlinuz" "$images/vmlinuz"
mv -f "$work/initrd.img" "$images/initrd.img"
echo "$kversion" > "$images/kernel.version"
echo "$inputs" > "$images/inputs.sha256"
echo "stagecraft build-guest: built $images/initrd.img ($(du -k "$images/initrd.img" | cut -f1) KiB)" >&2
