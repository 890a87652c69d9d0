# The example provider written outside the reactor (examples/firejail-provider): Debian's firejail, and the account
# its commands run as when Stagecraft runs as root (firejail runs a command as its caller). firejail mounts the
# workspace over that account's home, so it needs one, and a shell to start the command with. util-linux gives the
# wrapper each command starts through (unshare, setpriv); busybox-static the hostile battery's nc, ping and hostname.
apt_install firejail util-linux busybox-static
if ! getent passwd stagecraft-firejail >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo useradd --system --create-home --home-dir /home/stagecraft-firejail --shell /bin/sh stagecraft-firejail
fi
echo "stagecraft setup: $(firejail --version | sed -n 1p), account stagecraft-firejail" >&2
