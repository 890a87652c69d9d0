# The sandbox provider: bubblewrap (namespaces) and libseccomp (the syscall filter).
apt_install bubblewrap libseccomp2
echo "stagecraft setup: $(bwrap --version)" >&2
