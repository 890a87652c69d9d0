# The sandbox provider: bubblewrap (namespaces) and libseccomp (the syscall filter); busybox-static gives the
# provider kit's hostile battery the same tools (nc, ping, ...) inside the sandbox as in the busybox test image.
apt_install bubblewrap libseccomp2 busybox-static
echo "stagecraft setup: $(bwrap --version)" >&2
