# Run as root by `unshare --mount --propagation private`, before firejail, with $1 the environment's cgroup.procs
# files, $2 the scratch size and the rest the command (setpriv ... firejail ...). Joins the cgroup first, so that
# everything started after is counted and limited; then gives the sandbox what firejail cannot size: a /tmp and a
# /dev/shm of the scratch size, a /dev of its own, and a /run with nothing of the host's (no daemon sockets).
fail() { echo "stagecraft-firejail wrapper: $*" >&2; exit 125; }
for f in $1; do echo $$ > "$f" || fail "cannot join the cgroup $f"; done
size=$2
shift 2
mount -t tmpfs -o "size=$size,mode=1777,nosuid,nodev" stagecraft-tmp /tmp || fail "cannot mount /tmp"
mount -t tmpfs -o size=4m,mode=755,nosuid,nodev,noexec stagecraft-run /run || fail "cannot mount /run"
d=/run/stagecraft-dev
mkdir $d && mount -t tmpfs -o size=64k,mode=755,nosuid,noexec stagecraft-dev $d || fail "cannot mount /dev"
for n in null zero full random urandom tty; do
    touch $d/$n && mount --bind /dev/$n $d/$n || fail "cannot bind /dev/$n"
done
mkdir $d/shm $d/pts || fail "cannot populate /dev"
mount -t tmpfs -o "size=$size,mode=1777,nosuid,nodev" stagecraft-shm $d/shm || fail "cannot mount /dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 stagecraft-pts $d/pts || fail "cannot mount /dev/pts"
ln -s pts/ptmx $d/ptmx && ln -s /proc/self/fd $d/fd && ln -s /proc/self/fd/0 $d/stdin \
    && ln -s /proc/self/fd/1 $d/stdout && ln -s /proc/self/fd/2 $d/stderr || fail "cannot populate /dev"
mount --move $d /dev && rmdir $d || fail "cannot move /dev into place"
exec "$@"
