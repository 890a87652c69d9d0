# The docker provider: a Docker Engine (Debian's docker.io), gVisor's runsc registered as a Docker runtime, and
# the test images built locally (no registry is reachable from the build machines):
#   stagecraft/busybox:latest   a rootfs of busybox-static, `docker import`ed
#   stagecraft/python:3.11      `debootstrap --variant=minbase --include=python3-minimal bookworm`, `docker import`ed
# and a local registry (Debian's docker-registry on 127.0.0.1:5005, no auth, loopback only) holding
#   127.0.0.1:5005/stagecraft/pulltest:1   busybox plus 4 MiB of random bytes, never kept on the Engine itself,
# so that the provider's pull path is tested against a real registry. The provider pulls a missing image by default
# (providers.docker.pull: true); with no other registry reachable here, the tests' fixtures set pull: false next to
# the image mapping to the stagecraft/ images (docs/providers/docker.md).
# nftables (nft) and util-linux (nsenter) load the egress rules into networked containers' namespaces; iproute2 makes
# the provider kit's stand-in internet for the egress battery (docs/providers/docker.md, "Network policy").
# Sourced by scripts/install-deps.sh (which defines apt_install). Idempotent: a re-run with everything in place
# only checks. Images carry a recipe label; an image from an older recipe is rebuilt.
# Knobs: STAGECRAFT_DOCKER_CACHE (default /var/cache/stagecraft), STAGECRAFT_DEBIAN_MIRROR (default: from apt's sources).

apt_install docker.io runsc debootstrap busybox-static jq docker-registry curl nftables iproute2 util-linux

sc_docker_log=/var/log/stagecraft-dockerd.log
sc_docker_cache=${STAGECRAFT_DOCKER_CACHE:-/var/cache/stagecraft}
sc_docker_recipe=1

sc_docker_fail() {
  echo "stagecraft setup (docker): $*" >&2
  if [ -f "$sc_docker_log" ]; then
    echo "---- last lines of $sc_docker_log ----" >&2
    tail -n 30 "$sc_docker_log" >&2
  fi
  exit 1
}

sc_docker_answering() {
  timeout 10 docker info >/dev/null 2>&1
}

# sc_docker_wait SECONDS: until `docker info` answers, or fail with the log's tail.
sc_docker_wait() {
  local deadline=$((SECONDS + $1))
  until sc_docker_answering; do
    [ "$SECONDS" -lt "$deadline" ] || sc_docker_fail "dockerd did not answer within $1 s"
    sleep 0.5
  done
}

sc_docker_pid() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

sc_docker_start() {
  echo "stagecraft setup (docker): starting dockerd (log: $sc_docker_log)" >&2
  mkdir -p "$(dirname "$sc_docker_log")"
  # setsid + nohup: the daemon outlives this script and its terminal.
  setsid nohup dockerd >>"$sc_docker_log" 2>&1 </dev/null &
  sc_docker_wait 60
}

sc_docker_stop() {
  local pid deadline
  pid=$(sc_docker_pid)
  [ -n "$pid" ] || return 0
  echo "stagecraft setup (docker): stopping dockerd ($pid)" >&2
  kill -TERM "$pid"
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || sc_docker_fail "dockerd ($pid) did not stop within 30 s"
    sleep 0.2
  done
}

# 1. runsc as a Docker runtime, merged into daemon.json (other keys and runtimes are kept).
sc_docker_register_runsc() {
  local file=/etc/docker/daemon.json current merged
  mkdir -p /etc/docker
  current='{}'
  if [ -s "$file" ]; then
    current=$(jq -S . "$file") || sc_docker_fail "$file is not valid JSON; fix or remove it"
  fi
  merged=$(jq -S --arg path "$(command -v runsc)" \
    '.runtimes.runsc = ((.runtimes.runsc // {}) + {path: $path, runtimeArgs: ["--network=none"]})' <<<"$current")
  if [ "$merged" != "$current" ]; then
    [ -s "$file" ] && cp "$file" "$file.stagecraft-backup"
    printf '%s\n' "$merged" >"$file.tmp" && mv "$file.tmp" "$file"
    echo "stagecraft setup (docker): registered runsc in $file" >&2
    return 0
  fi
  return 1
}

sc_docker_has_runsc() {
  docker info --format '{{json .Runtimes}}' 2>/dev/null | jq -e 'has("runsc")' >/dev/null
}

# 2. dockerd running, with the runtime configuration in force.
sc_docker_ensure_daemon() {
  local changed=$1
  if ! sc_docker_answering; then
    if [ -n "$(sc_docker_pid)" ]; then
      sc_docker_wait 30   # starting up already
    else
      rm -f /var/run/docker.pid
      sc_docker_start
    fi
  elif [ "$changed" = 1 ] || ! sc_docker_has_runsc; then
    local pid
    pid=$(sc_docker_pid)
    if [ -n "$pid" ]; then
      kill -HUP "$pid"   # dockerd reloads its runtimes on SIGHUP
      local deadline=$((SECONDS + 10))
      until sc_docker_has_runsc || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
    fi
    if ! sc_docker_has_runsc; then
      sc_docker_stop
      sc_docker_start
    fi
  fi
  sc_docker_has_runsc || sc_docker_fail "dockerd runs but does not list the runsc runtime (see /etc/docker/daemon.json)"
}

# sc_docker_image_current IMAGE: the image exists and was built by this recipe.
sc_docker_image_current() {
  [ "$(docker image inspect --format '{{index .Config.Labels "dev.stagecraft.image-recipe"}}' "$1" 2>/dev/null)" \
    = "$sc_docker_recipe" ]
}

# sc_docker_import ROOTFS_DIR_OR_TAR IMAGE: docker import with the recipe label.
sc_docker_import() {
  local source=$1 image=$2
  local changes=(--change "LABEL dev.stagecraft.image-recipe=$sc_docker_recipe"
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    --change "WORKDIR /workspace" --change "USER 1000:1000")
  if [ -d "$source" ]; then
    tar -C "$source" --numeric-owner -cf - . | docker import "${changes[@]}" - "$image" >/dev/null
  else
    docker import "${changes[@]}" "$source" "$image" >/dev/null
  fi
}

# The pieces every test image has: /tmp (1777), /workspace owned by uid 1000, a passwd entry for 1000.
sc_docker_finish_rootfs() {
  local root=$1
  mkdir -p "$root/tmp" "$root/workspace" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  chown 1000:1000 "$root/workspace"
  grep -q '^tool:' "$root/etc/passwd" 2>/dev/null || echo 'tool:x:1000:1000:stagecraft tool:/workspace:/bin/sh' >>"$root/etc/passwd"
  grep -q '^tool:' "$root/etc/group" 2>/dev/null || echo 'tool:x:1000:' >>"$root/etc/group"
}

# 3a. stagecraft/busybox:latest from busybox-static.
sc_docker_build_busybox() {
  local image=stagecraft/busybox:latest root applet
  if sc_docker_image_current "$image"; then
    echo "stagecraft setup (docker): $image is present" >&2
    return 0
  fi
  root=$(mktemp -d /tmp/stagecraft-busybox.XXXXXX)
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  mkdir -p "$root/etc"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  sc_docker_finish_rootfs "$root"
  sc_docker_import "$root" "$image"
  rm -rf "$root"
  echo "stagecraft setup (docker): built $image" >&2
}

# 3b. stagecraft/python:3.11 from a debootstrap minbase root with python3-minimal; the rootfs tarball is cached.
sc_docker_build_python() {
  local image=stagecraft/python:3.11 tarball="$sc_docker_cache/python-3.11-bookworm-r$sc_docker_recipe.tar" root mirror
  if sc_docker_image_current "$image"; then
    echo "stagecraft setup (docker): $image is present" >&2
    return 0
  fi
  mkdir -p "$sc_docker_cache"
  if [ ! -s "$tarball" ]; then
    mirror=$(debian_mirror)
    root=$(mktemp -d /tmp/stagecraft-python.XXXXXX)
    echo "stagecraft setup (docker): debootstrap minbase + python3-minimal from $mirror (about a minute)" >&2
    if ! debootstrap --variant=minbase --include=python3-minimal bookworm "$root" "$mirror" \
      >"$sc_docker_cache/debootstrap.log" 2>&1; then
      tail -n 20 "$sc_docker_cache/debootstrap.log" >&2
      rm -rf "$root"
      sc_docker_fail "debootstrap failed (log: $sc_docker_cache/debootstrap.log)"
    fi
    rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man"
    sc_docker_finish_rootfs "$root"
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  sc_docker_import "$tarball" "$image"
  echo "stagecraft setup (docker): built $image (rootfs cached in $tarball)" >&2
}

# 4. The local registry and the image the pull tests pull from it.
sc_registry_addr=127.0.0.1:5005
sc_registry_log=/var/log/stagecraft-registry.log
sc_registry_answering() {
  curl -fsS "http://$sc_registry_addr/v2/" >/dev/null 2>&1
}

sc_registry_start() {
  local config="$sc_docker_cache/registry.yml" deadline
  if sc_registry_answering; then
    return 0
  fi
  mkdir -p "$sc_docker_cache/registry"
  cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $sc_docker_cache/registry
  delete:
    enabled: true
http:
  addr: $sc_registry_addr
YAML
  echo "stagecraft setup (docker): starting a local registry on $sc_registry_addr (log: $sc_registry_log)" >&2
  setsid nohup docker-registry serve "$config" >>"$sc_registry_log" 2>&1 </dev/null &
  deadline=$((SECONDS + 30))
  until sc_registry_answering; do
    [ "$SECONDS" -lt "$deadline" ] || sc_docker_fail "the local registry did not answer on $sc_registry_addr within 30 s (log: $sc_registry_log)"
    sleep 0.2
  done
}

sc_registry_push_pulltest() {
  local image=$sc_registry_addr/stagecraft/pulltest:1 root
  if curl -fsS -o /dev/null 2>/dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$sc_registry_addr/v2/stagecraft/pulltest/manifests/1"; then
    echo "stagecraft setup (docker): $image is in the local registry" >&2
    return 0
  fi
  root=$(mktemp -d /tmp/stagecraft-pulltest.XXXXXX)
  mkdir -p "$root/bin" "$root/data"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh true echo cat; do ln -sf busybox "$root/bin/$applet"; done
  head -c 4194304 /dev/urandom >"$root/data/random"
  sc_docker_finish_rootfs "$root"
  sc_docker_import "$root" "$image"
  rm -rf "$root"
  docker push "$image" >/dev/null || sc_docker_fail "cannot push $image to the local registry"
  docker rmi "$image" >/dev/null
  echo "stagecraft setup (docker): pushed $image to the local registry" >&2
}

sc_docker_changed=0
sc_docker_register_runsc && sc_docker_changed=1
sc_docker_ensure_daemon "$sc_docker_changed"
sc_docker_build_busybox
sc_docker_build_python
sc_registry_start
sc_registry_push_pulltest
echo "stagecraft setup: Docker Engine $(docker version --format '{{.Server.Version}}'), runtimes: $(docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}')" >&2
