# The kvm provider: libvirtd + QEMU, and the guests it boots (kernel + initramfs with the QEMU guest agent, and the
# python root filesystem built from Debian packages).
# Sourced by scripts/install-deps.sh (which defines apt_install). Idempotent; quick when everything is there.
apt_install libvirt-daemon-system libvirt0 qemu-system-x86 linux-image-cloud-amd64 qemu-guest-agent \
  busybox-static cpio e2fsprogs qemu-utils tini debootstrap

# Without systemd, libvirtd runs under `tini -s`, a subreaper: libvirtd double-forks each QEMU, which is then
# reparented to the nearest subreaper (else PID 1), and libvirt waits for a destroyed domain's QEMU to be reaped.
# Where PID 1 reaps late (about once a second on the build machines) that made every destroy 1.6-1.8 s; 0.22 s here.
# The kvm tests that restart libvirtd start it the same way.
kvm_libvirtd_log=/var/log/stagecraft-libvirtd.log
kvm_start_libvirtd() {
  if command -v tini >/dev/null 2>&1; then
    $kvm_sudo sh -c "setsid nohup tini -s -- libvirtd >>$kvm_libvirtd_log 2>&1 </dev/null &"
  else
    $kvm_sudo libvirtd -d
  fi
}

kvm_virsh_answers() {
  timeout 10 virsh -c qemu:///system version >/dev/null 2>&1
}

if ! kvm_virsh_answers; then
  kvm_sudo=""
  [ "$(id -u)" -eq 0 ] || kvm_sudo="sudo"
  # Without systemd (containers, CI runners) the daemons are started by hand; with systemd, use the units.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $kvm_sudo systemctl start virtlogd.socket libvirtd.socket libvirtd.service >/dev/null 2>&1 || true
  fi
  if ! kvm_virsh_answers; then
    pgrep -x virtlogd >/dev/null 2>&1 || $kvm_sudo virtlogd -d
    pgrep -x libvirtd >/dev/null 2>&1 || kvm_start_libvirtd
  fi
  kvm_deadline=$((SECONDS + 60))
  until kvm_virsh_answers; do
    if [ "$SECONDS" -ge "$kvm_deadline" ]; then
      echo "stagecraft setup: libvirtd does not answer 'virsh -c qemu:///system version' after 60 s." >&2
      echo "  hint: see $kvm_libvirtd_log, or run 'libvirtd -v' in the foreground to see why it stops; check /var/log/libvirt/," >&2
      echo "        that virtlogd runs ('virtlogd -d'), and that /run/libvirt is writable." >&2
      return 1 2>/dev/null || exit 1
    fi
    sleep 0.5
  done
fi
echo "stagecraft setup: $(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' | sed 's/^ *//')" >&2

bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-guest.sh"
bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-guest-root.sh" python

# KVM or TCG? /dev/kvm can exist and libvirt can offer type kvm while no guest actually runs under it (nested
# virtualization without the CPU features). Boot the guest once under kvm and write the verdict the provider
# reads (providers.kvm.domain-type: auto); redone only when QEMU, the host kernel or the guest image change.
kvm_images="${STAGECRAFT_KVM_IMAGES:-/var/lib/stagecraft/kvm/images}"
kvm_key="$(qemu-system-x86_64 --version | sed -n 1p) | host $(uname -r) | guest $(cat "$kvm_images/inputs.sha256" 2>/dev/null)"
kvm_verdict=""
[ -f "$kvm_images/accel.verdict" ] && kvm_verdict=$(cat "$kvm_images/accel.verdict")
if [ "${kvm_verdict#* }" != "$kvm_key" ]; then
  kvm_result="qemu"
  if virsh -c qemu:///system capabilities 2>/dev/null | grep "<domain type='kvm'" >/dev/null; then
    kvm_name="stagecraft-setup-kvm-check-$$"
    virsh -c qemu:///system create /dev/stdin >/dev/null 2>&1 <<XML || true
<domain type='kvm'>
  <name>$kvm_name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><kernel>$kvm_images/vmlinuz</kernel><initrd>$kvm_images/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='none'/></devices>
</domain>
XML
    kvm_deadline=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$kvm_deadline" ]; do
      if virsh -c qemu:///system qemu-agent-command "$kvm_name" '{"execute":"guest-ping"}' >/dev/null 2>&1; then
        kvm_result="kvm"
        break
      fi
      sleep 0.2
    done
    virsh -c qemu:///system destroy "$kvm_name" >/dev/null 2>&1 || true
  fi
  echo "$kvm_result $kvm_key" > "$kvm_images/accel.verdict"
  kvm_verdict=$(cat "$kvm_images/accel.verdict")
fi
if [ "${kvm_verdict%% *}" = kvm ]; then
  echo "stagecraft setup: KVM works here: VMs get domain type kvm" >&2
else
  echo "stagecraft setup: no working KVM here (a test guest did not boot under it, or no /dev/kvm): VMs run under QEMU TCG (domain type qemu), slower" >&2
fi
