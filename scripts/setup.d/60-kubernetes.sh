# The kubernetes provider's test cluster: a real control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) and one kubelet, Kubernetes v1.20.2, on this machine. No cluster can be downloaded here, so the
# binaries are built from Debian 12's `kubernetes` source package (the v1.20.2 tree with its vendor/ folder) with
# Debian's Go 1.19, offline, once, into a cache outside the checkout; etcd is Debian's etcd-server. kubelet 1.20
# still has the built-in dockershim: pods run on the Docker Engine of 20-docker.sh, on Docker's default bridge.
#   $STAGECRAFT_K8S_CACHE (default /var/cache/stagecraft/kubernetes)/src/   the source package (34 MB)
#                                                                    /bin/   the binaries, bin/recipe: their build key
#   $STAGECRAFT_K8S_STATE (default /var/lib/stagecraft/kubernetes)/pki/     CA, serving certs, service-account keys
#       tokens.csv, *.kubeconfig (admin.kubeconfig: cluster-admin), etcd/ (data), kubelet/ (root dir), run/ (pids)
#   /var/log/stagecraft-kubernetes/<daemon>.log (the previous run's log: <daemon>.log.1)
# Every flag the daemons need here, and why, is next to it in sc_k8s_args below; docs/providers/kubernetes.md,
# "The test cluster", says the same for readers.
# Sourced by scripts/install-deps.sh (apt_install, debian_mirror); needs the Docker Engine that 20-docker.sh starts.
# Idempotent: a daemon that runs with the current binaries and flags and answers its health check is left alone; one
# whose binaries or flags changed is restarted. A re-run with everything in place only checks (a few seconds).

apt_install golang-1.19-go golang-github-modern-go-reflect2-dev rsync make dpkg-dev etcd-server openssl gcc \
  libc6-dev socat conntrack curl jq

sc_k8s_package_version=1.20.5+really1.20.2-1.1+deb12u1
sc_k8s_git_version=v1.20.2
sc_k8s_targets=(cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kubectl)
sc_k8s_cache=${STAGECRAFT_K8S_CACHE:-/var/cache/stagecraft/kubernetes}
sc_k8s_state=${STAGECRAFT_K8S_STATE:-/var/lib/stagecraft/kubernetes}
sc_k8s_logs=/var/log/stagecraft-kubernetes
sc_k8s_go=/usr/lib/go-1.19/bin
sc_k8s_bin=$sc_k8s_cache/bin
sc_k8s_pki=$sc_k8s_state/pki
# Ports off the usual ones (2379, 6443) so that a developer's own etcd or cluster is not in the way; all on loopback.
sc_k8s_etcd_url=http://127.0.0.1:12379
sc_k8s_etcd_peer_url=http://127.0.0.1:12380
sc_k8s_apiserver_port=16443
sc_k8s_apiserver_url=https://127.0.0.1:$sc_k8s_apiserver_port
# The node's name. The kubelet listens on loopback only, and a node address cannot be a loopback IP (kubelet refuses
# --node-ip=127.0.0.1), so the apiserver reaches it by the node's Hostname address, which is this name: "localhost"
# resolves to the loopback on every machine.
sc_k8s_node=localhost
sc_k8s_pause_image=stagecraft/pause:3.2
sc_k8s_service_range=10.96.0.0/16

sc_k8s_fail() {
  local log=${2:-}
  echo "stagecraft setup (kubernetes): $1" >&2
  if [ -n "$log" ] && [ -f "$log" ]; then
    # Without the kubelet's cAdvisor noise: a warning for each cgroup it cannot watch, many a minute here.
    echo "---- last lines of $log ----" >&2
    grep -vE 'perf_event cgroup path|watcher.go' "$log" | tail -n 25 >&2
  fi
  exit 1
}

# 1. The source package, from a deb-src line for Debian 12 main (added when apt knows no source for it).
sc_k8s_fetch_source() {
  local dsc="$sc_k8s_cache/src/kubernetes_$sc_k8s_package_version.dsc" list=/etc/apt/sources.list.d/stagecraft-deb-src.sources
  [ -s "$dsc" ] && return 0
  if ! apt-cache showsrc "kubernetes=$sc_k8s_package_version" 2>/dev/null | grep -q '^Package: kubernetes'; then
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n' \
      "$(debian_mirror)" /usr/share/keyrings/debian-archive-keyring.gpg >"$list"
    echo "stagecraft setup (kubernetes): added $list" >&2
    apt-get update -qq || sc_k8s_fail "apt-get update failed after adding $list"
  fi
  mkdir -p "$sc_k8s_cache/src"
  (cd "$sc_k8s_cache/src" && apt-get source --download-only "kubernetes=$sc_k8s_package_version" >/dev/null 2>&1) ||
    sc_k8s_fail "apt-get source --download-only kubernetes=$sc_k8s_package_version failed (is Debian 12's deb-src reachable?)"
  [ -s "$dsc" ] || sc_k8s_fail "apt-get source left no $dsc"
}

# 2. The binaries: Kubernetes' own make (a plain `go build` misses its generated flags), vendored modules only,
# static (CGO_ENABLED=0), under nice: it takes minutes of both cores. The work tree (2.6 GB with Go's build cache)
# is removed afterwards; only the binaries stay.
sc_k8s_build_binaries() {
  local work=$sc_k8s_cache/work log=$sc_k8s_cache/build.log started=$SECONDS target
  rm -rf "$work" "$sc_k8s_bin.new"
  mkdir -p "$work" "$sc_k8s_bin.new"
  dpkg-source -x "$sc_k8s_cache/src/kubernetes_$sc_k8s_package_version.dsc" "$work/tree" >"$log" 2>&1 ||
    sc_k8s_fail "dpkg-source -x failed" "$log"
  sc_k8s_replace_reflect2 "$work/tree"
  sc_k8s_patch_oom_score_adj "$work/tree"
  echo "stagecraft setup (kubernetes): building Kubernetes $sc_k8s_git_version from source (minutes; log: $log)" >&2
  (cd "$work/tree" && PATH=$sc_k8s_go:$PATH GOPROXY=off CGO_ENABLED=0 \
    nice -n 10 make WHAT="${sc_k8s_targets[*]}" KUBE_GIT_VERSION=$sc_k8s_git_version) >>"$log" 2>&1 ||
    sc_k8s_fail "the Kubernetes build failed" "$log"
  for target in "${sc_k8s_targets[@]}"; do
    cp "$work/tree/_output/local/bin/linux/amd64/${target#cmd/}" "$sc_k8s_bin.new/" ||
      sc_k8s_fail "the build made no ${target#cmd/}" "$log"
  done
  sc_k8s_build_key >"$sc_k8s_bin.new/recipe"
  rm -rf "$sc_k8s_bin" "$work"
  mv "$sc_k8s_bin.new" "$sc_k8s_bin"
  echo "stagecraft setup (kubernetes): built ${sc_k8s_targets[*]#cmd/} in $((SECONDS - started)) s" >&2
}

# Go 1.18 changed the runtime's map internals, which github.com/modern-go/reflect2 v1.0.1 (vendored by Kubernetes
# 1.20) reaches into: built with Go 1.19, the apiserver panics in reflect2.Type2 while encoding maps to JSON (every
# GET of a Node as JSON, so the kubelet never sees its node Ready). reflect2 v1.0.2 is the release that fixed it (and
# the one Kubernetes moved to for Go 1.18); Debian's golang-github-modern-go-reflect2-dev replaces the vendored copy.
# Kubernetes 1.20's make builds in GOPATH mode (hack/lib/init.sh: GO111MODULE=off) from vendor/, so replacing the
# folder is all it takes.
sc_k8s_replace_reflect2() {
  local tree=$1 vendored=$1/vendor/github.com/modern-go/reflect2 debian=/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -f "$debian/go_above_118.go" ] || sc_k8s_fail "$debian is not reflect2 1.0.2 or later (golang-github-modern-go-reflect2-dev)"
  rm -rf "$vendored"
  mkdir -p "$vendored"
  find "$debian" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp {} "$vendored/" \;
}

# The kubelet gives every pod sandbox (pause) container oom_score_adj -998 and the containers of Guaranteed pods
# -997. Lowering oom_score_adj below 0 takes CAP_SYS_RESOURCE, which root lacks on the build machines (CapEff
# 000001fffeffffff): runc's child dies writing it ("can't get final child's PID from pipe: EOF") and no pod ever starts.
# The patch makes both 0; Burstable (3..999) and BestEffort (1000) keep their values, so the kernel still picks
# BestEffort first. Elsewhere it only means the pause containers are no better protected than other processes.
sc_k8s_patch_oom_score_adj() {
  local tree=$1
  sed -i 's/^\(\s*defaultSandboxOOMAdj int = \)-998$/\10/' "$tree/pkg/kubelet/dockershim/docker_sandbox.go"
  sed -i 's/^\(\s*\)return guaranteedOOMScoreAdj$/\1return 0/' "$tree/pkg/kubelet/qos/policy.go"
  grep -q 'defaultSandboxOOMAdj int = 0$' "$tree/pkg/kubelet/dockershim/docker_sandbox.go" &&
    [ "$(grep -c 'return 0$' "$tree/pkg/kubelet/qos/policy.go")" = 2 ] ||
    sc_k8s_fail "the oom_score_adj patch no longer applies to the Kubernetes source"
}

# What the binaries are built from: the source package (its .dsc holds the checksums of the tarballs), Go, the
# reflect2 that replaces the vendored one, the oom_score_adj patch, the targets and the build function itself.
sc_k8s_build_key() {
  { echo "$sc_k8s_package_version $sc_k8s_git_version ${sc_k8s_targets[*]}"; "$sc_k8s_go/go" version
    dpkg-query -W golang-github-modern-go-reflect2-dev; declare -f sc_k8s_replace_reflect2 sc_k8s_patch_oom_score_adj
    sha256sum <"$sc_k8s_cache/src/kubernetes_$sc_k8s_package_version.dsc"; declare -f sc_k8s_build_binaries; } |
    sha256sum | cut -c1-16
}

sc_k8s_ensure_binaries() {
  sc_k8s_fetch_source
  if [ "$(cat "$sc_k8s_bin/recipe" 2>/dev/null)" != "$(sc_k8s_build_key)" ]; then
    sc_k8s_build_binaries
  fi
}

# 3. Keys, certificates and tokens, made once (openssl). The apiserver serves with a certificate for 127.0.0.1 and the
# names of the `kubernetes` Service; the kubelet with one for localhost; both from one CA, which the apiserver also
# checks the kubelet against (--kubelet-certificate-authority). The apiserver calls the kubelet with a client
# certificate (CN stagecraft:apiserver-kubelet-client). Everything else authenticates with a bearer token.
sc_k8s_cert() {
  local name=$1 subject=$2 usage=$3 names=${4:-}
  [ -s "$sc_k8s_pki/$name.crt" ] && return 0
  openssl req -new -nodes -newkey rsa:2048 -keyout "$sc_k8s_pki/$name.key" -subj "$subject" \
    -out "$sc_k8s_pki/$name.csr" 2>/dev/null
  { printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$usage"
    [ -z "$names" ] || printf 'subjectAltName=%s\n' "$names"; } >"$sc_k8s_pki/$name.ext"
  openssl x509 -req -in "$sc_k8s_pki/$name.csr" -CA "$sc_k8s_pki/ca.crt" -CAkey "$sc_k8s_pki/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$sc_k8s_pki/$name.ext" -out "$sc_k8s_pki/$name.crt" 2>/dev/null ||
    sc_k8s_fail "openssl could not sign $name.crt"
  rm -f "$sc_k8s_pki/$name.csr" "$sc_k8s_pki/$name.ext"
}

sc_k8s_ensure_credentials() {
  mkdir -p "$sc_k8s_pki"
  chmod 700 "$sc_k8s_pki"
  if [ ! -s "$sc_k8s_pki/ca.crt" ]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$sc_k8s_pki/ca.key" -subj /CN=stagecraft-test-cluster-ca \
      -days 3650 -sha256 -out "$sc_k8s_pki/ca.crt" 2>/dev/null || sc_k8s_fail "openssl could not make the CA"
  fi
  local names="IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
  names+=",DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sc_k8s_cert apiserver /CN=kube-apiserver serverAuth "$names"
  sc_k8s_cert apiserver-kubelet-client /CN=stagecraft:apiserver-kubelet-client clientAuth
  sc_k8s_cert kubelet "/CN=$sc_k8s_node" serverAuth "DNS:$sc_k8s_node,IP:127.0.0.1"
  if [ ! -s "$sc_k8s_pki/sa.pub" ]; then
    openssl genrsa -out "$sc_k8s_pki/sa.key" 2048 2>/dev/null && openssl rsa -in "$sc_k8s_pki/sa.key" -pubout \
      -out "$sc_k8s_pki/sa.pub" 2>/dev/null || sc_k8s_fail "openssl could not make the service-account key pair"
  fi
  # tokens.csv: token,user,uid,"groups". admin is in system:masters (cluster-admin); the controller manager and
  # scheduler are the users the built-in RBAC roles name; the kubelet is system:node:<node> in system:nodes, which
  # the Node authorizer and the NodeRestriction admission plugin expect.
  if [ ! -s "$sc_k8s_state/tokens.csv" ]; then
    (umask 077 && {
      sc_k8s_token_line stagecraft-admin system:masters
      sc_k8s_token_line system:kube-controller-manager
      sc_k8s_token_line system:kube-scheduler
      sc_k8s_token_line "system:node:$sc_k8s_node" system:nodes
    } >"$sc_k8s_state/tokens.csv.tmp")
    mv "$sc_k8s_state/tokens.csv.tmp" "$sc_k8s_state/tokens.csv"
  fi
  sc_k8s_kubeconfig admin.kubeconfig stagecraft-admin
  sc_k8s_kubeconfig controller-manager.kubeconfig system:kube-controller-manager
  sc_k8s_kubeconfig scheduler.kubeconfig system:kube-scheduler
  sc_k8s_kubeconfig kubelet.kubeconfig "system:node:$sc_k8s_node"
}

# sc_k8s_token_line USER [GROUP]: a line of the apiserver's token file with a new random token.
sc_k8s_token_line() {
  printf '%s,%s,%s,"%s"\n' "$(openssl rand -hex 24)" "$1" "$1" "${2:-}"
}

# sc_k8s_kubeconfig FILE USER: a kubeconfig for USER's token, the CA embedded (the file can be copied elsewhere).
sc_k8s_kubeconfig() {
  local file=$sc_k8s_state/$1 user=$2 token
  token=$(awk -F, -v user="$user" '$2 == user { print $1 }' "$sc_k8s_state/tokens.csv")
  [ -n "$token" ] || sc_k8s_fail "no token for $user in $sc_k8s_state/tokens.csv (remove the file to make new ones)"
  (umask 077 && cat >"$file.tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: stagecraft-test
  cluster:
    server: $sc_k8s_apiserver_url
    certificate-authority-data: $(base64 -w0 "$sc_k8s_pki/ca.crt")
users:
- name: $user
  user:
    token: $token
contexts:
- name: stagecraft-test
  context:
    cluster: stagecraft-test
    user: $user
    namespace: default
current-context: stagecraft-test
YAML
  )
  mv "$file.tmp" "$file"
}

# 4. The pod sandbox ("pause") image: kubelet starts one per pod to hold its namespaces. No registry is reachable, so
# it is built here: a static `pause` from a few lines of C, alone in an image.
sc_k8s_pause_source='#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void) sig; _exit(0); }
static void reap(int sig) { (void) sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction quit = { .sa_handler = stop }, child = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART };
  sigaction(SIGINT, &quit, 0);
  sigaction(SIGTERM, &quit, 0);
  sigaction(SIGCHLD, &child, 0);
  for (;;) pause();
}'

sc_k8s_ensure_pause_image() {
  local recipe root
  recipe=$(printf '%s' "$sc_k8s_pause_source" | sha256sum | cut -c1-16)
  if [ "$(docker image inspect --format '{{index .Config.Labels "dev.stagecraft.image-recipe"}}' \
    "$sc_k8s_pause_image" 2>/dev/null)" = "$recipe" ]; then
    return 0
  fi
  root=$(mktemp -d /tmp/stagecraft-pause.XXXXXX)
  printf '%s\n' "$sc_k8s_pause_source" >"$root/pause.c"
  mkdir "$root/image"
  gcc -static -Os -s -o "$root/image/pause" "$root/pause.c" || sc_k8s_fail "gcc -static could not build pause"
  tar -C "$root/image" --numeric-owner --owner=0 --group=0 -cf - pause |
    docker import --change "LABEL dev.stagecraft.image-recipe=$recipe" --change 'ENTRYPOINT ["/pause"]' \
      --change 'USER 65535:65535' - "$sc_k8s_pause_image" >/dev/null || sc_k8s_fail "docker import of $sc_k8s_pause_image failed"
  rm -rf "$root"
  echo "stagecraft setup (kubernetes): built $sc_k8s_pause_image" >&2
}

# 5. The daemons. sc_k8s_args NAME prints NAME's command line, one word a line; each flag says why it is there.
sc_k8s_args() {
  local args
  case $1 in
    etcd) args=(/usr/bin/etcd --name=stagecraft --data-dir="$sc_k8s_state/etcd"
      --listen-client-urls="$sc_k8s_etcd_url" --advertise-client-urls="$sc_k8s_etcd_url"
      --listen-peer-urls="$sc_k8s_etcd_peer_url" --initial-advertise-peer-urls="$sc_k8s_etcd_peer_url"
      --initial-cluster="stagecraft=$sc_k8s_etcd_peer_url" --log-level=warn) ;;
    kube-apiserver) args=("$sc_k8s_bin/kube-apiserver"
      --bind-address=127.0.0.1 --secure-port="$sc_k8s_apiserver_port"      # loopback only
      --advertise-address=127.0.0.1             # not eth0's address, and none needed: machines without a default route
      --endpoint-reconciler-type=none           # Endpoints refuse 127.0.0.1; nothing in a pod could reach it anyway
      --etcd-servers="$sc_k8s_etcd_url"
      --tls-cert-file="$sc_k8s_pki/apiserver.crt" --tls-private-key-file="$sc_k8s_pki/apiserver.key"
      --token-auth-file="$sc_k8s_state/tokens.csv"   # static bearer tokens: admin, controller manager, scheduler, kubelet
      --anonymous-auth=false                    # no credentials: 401 (not 403 as system:anonymous)
      --authorization-mode=Node,RBAC            # RBAC as on real clusters; Node for the kubelet's own objects
      --enable-admission-plugins=NodeRestriction   # on top of the default set (ServiceAccount, LimitRanger, ...)
      --allow-privileged=false                  # no privileged containers on this node
      --service-cluster-ip-range="$sc_k8s_service_range"   # away from 172.17/16, Docker's bridge
      --service-account-issuer=https://kubernetes.default.svc.cluster.local   # 1.20 requires an issuer and...
      --service-account-signing-key-file="$sc_k8s_pki/sa.key"   # ...the key that signs service-account tokens
      --service-account-key-file="$sc_k8s_pki/sa.pub"
      --kubelet-client-certificate="$sc_k8s_pki/apiserver-kubelet-client.crt"   # exec, attach, logs go through the
      --kubelet-client-key="$sc_k8s_pki/apiserver-kubelet-client.key"           # kubelet's API, with this client cert
      --kubelet-certificate-authority="$sc_k8s_pki/ca.crt"   # and the kubelet's serving certificate is checked
      --kubelet-preferred-address-types=Hostname)   # the node's Hostname address, localhost (see sc_k8s_node)
      ;;
    kube-controller-manager) args=("$sc_k8s_bin/kube-controller-manager"
      --kubeconfig="$sc_k8s_state/controller-manager.kubeconfig"   # no --authentication/authorization-kubeconfig:
      # they would read the apiserver's front-proxy CA, which this cluster has none of, and log an error every minute;
      # without them only /healthz is served (always allowed), which is all the setup asks of it
      --bind-address=127.0.0.1 --port=0         # its https port 10257 on loopback; no plain-http port
      --leader-elect=false                      # one instance: no lease to wait for at start
      --use-service-account-credentials=true    # each controller under its own RBAC identity, as on real clusters
      --service-account-private-key-file="$sc_k8s_pki/sa.key"   # token secrets of the service accounts
      --root-ca-file="$sc_k8s_pki/ca.crt"       # the ca.crt in those secrets and in kube-root-ca.crt
      --cluster-signing-cert-file="$sc_k8s_pki/ca.crt" --cluster-signing-key-file="$sc_k8s_pki/ca.key")   # CSRs
      ;;
    kube-scheduler) args=("$sc_k8s_bin/kube-scheduler"
      --kubeconfig="$sc_k8s_state/scheduler.kubeconfig"   # no authentication/authorization kubeconfig, as above
      --bind-address=127.0.0.1 --port=0         # its https port 10259 on loopback; no plain-http port
      --leader-elect=false)
      ;;
    kubelet) args=("$sc_k8s_bin/kubelet"
      --kubeconfig="$sc_k8s_state/kubelet.kubeconfig"
      --hostname-override="$sc_k8s_node"        # the node name its token is for (system:node:localhost)
      --root-dir="$sc_k8s_state/kubelet" --cert-dir="$sc_k8s_state/kubelet/pki"   # not /var/lib/kubelet
      --volume-plugin-dir="$sc_k8s_state/kubelet/volume-plugins"   # not /usr/libexec/kubernetes
      --address=127.0.0.1 --read-only-port=0    # its API (exec, logs) on loopback port 10250, TLS only
      --tls-cert-file="$sc_k8s_pki/kubelet.crt" --tls-private-key-file="$sc_k8s_pki/kubelet.key"
      --anonymous-auth=false --client-ca-file="$sc_k8s_pki/ca.crt"   # callers need a certificate from our CA...
      --authorization-mode=Webhook              # ...and the apiserver's RBAC yes (system:kubelet-api-admin)
      --container-runtime=docker                # the built-in dockershim, on the Engine of 20-docker.sh
      --pod-infra-container-image="$sc_k8s_pause_image"   # built here: k8s.gcr.io/pause is not reachable
      --cgroup-driver=cgroupfs                  # must equal Docker's (docker info: Cgroup Driver: cgroupfs)
      --fail-swap-on=false                      # kubelet refuses to start where swap is on; some machines have it
      --image-gc-high-threshold=100 --image-gc-low-threshold=99   # no image GC: the stagecraft/* images of
      # 20-docker.sh are "unused" to the kubelet, and the default (85%) or imagefs eviction (below) would delete them
      --eviction-hard='memory.available<100Mi,nodefs.available<1%,imagefs.available<1%,nodefs.inodesFree<1%'
      --make-iptables-util-chains=false         # leave the host's iptables to Docker and the docker provider
      # a memory-backed emptyDir becomes a tmpfs of its sizeLimit, so the provider's /tmp and /dev/shm fill up with
      # ENOSPC instead of the pod's eviction (alpha and off in 1.20; beta and on from 1.22)
      --feature-gates=SizeMemoryBackedVolumes=true
      --hairpin-mode=none)                      # leave the ports of Docker's bridge alone
      ;;
  esac
  printf '%s\n' "${args[@]}"
}

sc_k8s_health() {
  case $1 in
    etcd) curl -fsS --max-time 3 "$sc_k8s_etcd_url/health" 2>/dev/null | grep -q '"health":"true"' ;;
    kube-apiserver) sc_k8s_api /readyz >/dev/null 2>&1 ;;
    kube-controller-manager) curl -fsSk --max-time 3 https://127.0.0.1:10257/healthz >/dev/null 2>&1 ;;
    kube-scheduler) curl -fsSk --max-time 3 https://127.0.0.1:10259/healthz >/dev/null 2>&1 ;;
    kubelet) curl -fsS --max-time 3 http://127.0.0.1:10248/healthz >/dev/null 2>&1 ;;
  esac
}

# sc_k8s_api PATH [CURL ARGS...]: the apiserver's answer to PATH as the admin (curl, not kubectl: a tenth of the time).
sc_k8s_api() {
  local path=$1
  shift
  curl -fsS --max-time 5 --cacert "$sc_k8s_pki/ca.crt" \
    -H "Authorization: Bearer $(awk -F, '$2 == "stagecraft-admin" { print $1 }' "$sc_k8s_state/tokens.csv")" \
    "$@" "$sc_k8s_apiserver_url$path"
}

# sc_k8s_pid NAME: the pid of NAME started by this script, if that process still runs that binary.
sc_k8s_pid() {
  local pid
  pid=$(cat "$sc_k8s_state/run/$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | sed -n 1p)" = "$(sc_k8s_args "$1" | sed -n 1p)" ] &&
    echo "$pid"
  return 0
}

# What NAME runs with: its flags and its binary (the build key of ours; size and time of Debian's etcd); a change
# restarts it.
sc_k8s_run_key() {
  { sc_k8s_args "$1"; cat "$sc_k8s_bin/recipe"; stat -c '%s %Y' "$(sc_k8s_args "$1" | sed -n 1p)"; } | sha256sum | cut -c1-16
}

sc_k8s_stop() {
  local pid deadline
  pid=$(sc_k8s_pid "$1")
  [ -n "$pid" ] || return 0
  echo "stagecraft setup (kubernetes): stopping $1 ($pid)" >&2
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; break; }
    sleep 0.2
  done
}

# sc_k8s_ensure NAME SECONDS: NAME runs with the current key and answers its health check, started if needed.
sc_k8s_ensure() {
  local name=$1 timeout=$2 key log=$sc_k8s_logs/$1.log args deadline pid
  key=$(sc_k8s_run_key "$name")
  if [ -n "$(sc_k8s_pid "$name")" ] && [ "$(cat "$sc_k8s_state/run/$name.key" 2>/dev/null)" = "$key" ] &&
    sc_k8s_health "$name"; then
    return 0
  fi
  sc_k8s_stop "$name"
  mkdir -p "$sc_k8s_logs" "$sc_k8s_state/run"
  [ ! -f "$log" ] || mv "$log" "$log.1"
  mapfile -t args < <(sc_k8s_args "$name")
  echo "stagecraft setup (kubernetes): starting $name (log: $log)" >&2
  # setsid + nohup: the daemon outlives this script and its terminal; $! is the daemon itself (setsid only forks
  # when it leads a process group, which a background job of a non-interactive shell does not).
  setsid nohup "${args[@]}" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$sc_k8s_state/run/$name.pid"
  echo "$key" >"$sc_k8s_state/run/$name.key"
  deadline=$((SECONDS + timeout))
  until sc_k8s_health "$name"; do
    kill -0 "$pid" 2>/dev/null || sc_k8s_fail "$name exited at start" "$log"
    [ "$SECONDS" -lt "$deadline" ] || sc_k8s_fail "$name did not answer its health check within $timeout s" "$log"
    sleep 0.5
  done
}

# The apiserver calls the kubelet as stagecraft:apiserver-kubelet-client; the kubelet asks the apiserver (Webhook)
# whether that user may; the built-in role system:kubelet-api-admin says yes once bound.
sc_k8s_ensure_rbac() {
  local path=/apis/rbac.authorization.k8s.io/v1/clusterrolebindings
  sc_k8s_api "$path/stagecraft:apiserver-kubelet-client" >/dev/null 2>&1 && return 0
  sc_k8s_api "$path" -X POST -H 'Content-Type: application/json' -d '{"metadata": {"name":
    "stagecraft:apiserver-kubelet-client"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind":
    "ClusterRole", "name": "system:kubelet-api-admin"}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io",
    "kind": "User", "name": "stagecraft:apiserver-kubelet-client"}]}' >/dev/null ||
    sc_k8s_fail "cannot bind system:kubelet-api-admin to stagecraft:apiserver-kubelet-client"
}

# sc_k8s_wait_for SECONDS WHAT LOG COMMAND...: until COMMAND succeeds, or fail naming WHAT with LOG's tail.
sc_k8s_wait_for() {
  local timeout=$1 what=$2 log=$3 deadline
  shift 3
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || sc_k8s_fail "$what within $timeout s" "$log"
    sleep 0.5
  done
}

sc_k8s_node_ready() {
  sc_k8s_api "/api/v1/nodes/$sc_k8s_node" | jq -e '.status.conditions[] | select(.type == "Ready") | .status == "True"'
}

# The kubelet sets kernel sysctls it wants, once, when it starts (--protect-kernel-defaults would only make it refuse
# to start): vm.overcommit_memory 1, kernel.panic 10, kernel.panic_on_oops 1. On a machine that runs hostile code
# for the other kinds' tests, an oops must not reboot it and memory bombs must meet the host's own overcommit policy,
# so the host's values are recorded once (before any kubelet of ours changed them) and put back once the node is Ready.
sc_k8s_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops)
sc_k8s_save_sysctls() {
  local file=$sc_k8s_state/host-sysctls
  [ -s "$file" ] && return 0
  [ -z "$(sc_k8s_pid kubelet)" ] || return 0   # a running kubelet of ours may have changed them already
  for name in "${sc_k8s_sysctls[@]}"; do
    echo "$name=$(sysctl -n "$name")"
  done >"$file.tmp" && mv "$file.tmp" "$file"
}
sc_k8s_restore_sysctls() {
  local file=$sc_k8s_state/host-sysctls line
  [ -s "$file" ] || return 0
  while IFS= read -r line; do
    [ "$(sysctl -n "${line%%=*}")" = "${line#*=}" ] || sysctl -q -w "$line" >/dev/null
  done <"$file"
}

timeout 10 docker info >/dev/null 2>&1 ||
  sc_k8s_fail "dockerd does not answer: the kubelet runs pods on it (scripts/install-deps.sh docker starts it)"
sc_k8s_ensure_binaries
sc_k8s_ensure_credentials
sc_k8s_ensure_pause_image
mkdir -p "$sc_k8s_state/kubelet"
sc_k8s_ensure etcd 60
sc_k8s_ensure kube-apiserver 120
sc_k8s_ensure_rbac
sc_k8s_ensure kube-controller-manager 60
sc_k8s_ensure kube-scheduler 60
sc_k8s_save_sysctls
sc_k8s_ensure kubelet 60
sc_k8s_wait_for 120 "node $sc_k8s_node did not become Ready" "$sc_k8s_logs/kubelet.log" sc_k8s_node_ready
sc_k8s_restore_sysctls
# Pods cannot be created in a namespace before its default service account exists (the controller manager makes it).
sc_k8s_wait_for 60 "the default service account did not appear" "$sc_k8s_logs/kube-controller-manager.log" \
  sc_k8s_api /api/v1/namespaces/default/serviceaccounts/default
echo "stagecraft setup: Kubernetes $sc_k8s_git_version, node $sc_k8s_node Ready, kubeconfig $sc_k8s_state/admin.kubeconfig (kubectl: $sc_k8s_bin/kubectl)" >&2
