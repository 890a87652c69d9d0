# The sandbox provider: bubblewrap (namespaces) and libseccomp (the syscall filter); busybox-static gives the
# provider kit's hostile battery the same tools (nc, ping, ...) inside the sandbox as in the busybox test image.
# A networked sandbox: slirp4netns (its user-mode network), nftables (its egress rules, loaded with util-linux's
# nsenter) and iproute2 (the egress tests' stand-in internet); python3-minimal for the compatibility tests.
apt_install bubblewrap libseccomp2 busybox-static slirp4netns nftables iproute2 python3-minimal curl ca-certificates
echo "stagecraft setup: $(bwrap --version), $(slirp4netns --version | sed -n 1p)" >&2
