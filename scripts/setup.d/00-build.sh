# Build and test tools: unzip (distribution tests unpack plugin zips), gcc (seccomp probes compiled at test time).
apt_install unzip gcc libc6-dev
