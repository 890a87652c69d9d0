#!/usr/bin/env bash
# The gpu provider's check on a real GPU host (issue 13), run from an unpacked distribution tarball; paste its output
# on the issue. Needs: the NVIDIA driver, bubblewrap, Java 17 (../shared/scripts/portable-bundle.sh packs both), a
# Python with PyTorch (CUDA build). Known-good host: ../shared/fixtures/gpu/HOST.md (Ubuntu 24.04, driver 580, CUDA 13,
# one H200, driver libraries in /usr/local/nvidia, torch in /opt/torch/.venv).
# Usage: scripts/gpu-check.sh STAGECRAFT_HOME [PYTHON]     e.g. /tmp/stagecraft-0.1.0 /opt/torch/.venv/bin/python
# Environment: DRIVER_ROOT (default /usr/local/nvidia if it exists), TOOLCHAIN (read-only path holding PYTHON's
# install, default: the folder two levels above PYTHON, e.g. /opt/torch), RUNS (benchmark runs, default 5).
set -uo pipefail
home=${1:?usage: gpu-check.sh STAGECRAFT_HOME [PYTHON]}
python=${2:-/opt/torch/.venv/bin/python}
toolchain=${TOOLCHAIN:-$(dirname "$(dirname "$(dirname "$python")")")}
runs=${RUNS:-5}
work=$(mktemp -d /tmp/gpu-check.XXXXXX)
state=$work/state
config=$work/stagecraft.yaml
{
  echo "state-dir: $state"
  echo "providers:"
  echo "  gpu:"
  if [ -n "${DRIVER_ROOT:-}" ] || [ -d /usr/local/nvidia ]; then echo "    driver-root: ${DRIVER_ROOT:-/usr/local/nvidia}"; fi
  echo "    read-only-paths: [$toolchain]"
  echo "    memory: 16g"
  echo "    cpus: 4"
  echo "    pids: 4096"
  echo "    tmp-size: 1g"
} > "$config"
sc() { "$home/bin/stagecraft" --config "$config" "$@"; }
pass=0; fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
step() { echo; echo "== $*"; }

echo "host: $(uname -r), $(nvidia-smi --query-gpu=name,driver_version,memory.total,mig.mode.current --format=csv,noheader 2>&1 | head -4)"
echo "config:"; sed 's/^/  /' "$config"

step "1. doctor lists the GPUs"
doctor=$(sc doctor 2>&1); echo "$doctor"
grep -q '^\[ok\]   gpu' <<< "$doctor" && grep -q 'gpu0: ' <<< "$doctor" && ok "doctor: gpu available, gpu0 listed" || bad "doctor"

step "2. stagecraft run --gpus 1 -- python: a matmul on cuda"
matmul='import torch,time; t=time.time(); a=torch.randn(2048,2048,device="cuda"); b=(a@a).sum().item(); torch.cuda.synchronize(); print("matmul ok", torch.cuda.get_device_name(0), round(time.time()-t,3), "s")'
out=$(sc run --explain --gpus 1 -- "$python" -c "$matmul" 2>&1); echo "$out"
grep -q 'selected: gpu' <<< "$out" && grep -q '^matmul ok' <<< "$out" && ok "matmul in a gpu environment" || bad "matmul"

step "3. two environments ask for the only GPU: the second is refused in one line"
first=$(sc env create --gpus 1 2>&1 | tail -1); echo "first: $first"
second=$(sc env create --gpus 1 2>&1); rc=$?; echo "second (rc $rc): $second"
[ $rc -ne 0 ] && grep -q "held by environment $first" <<< "$second" && [ "$(wc -l <<< "$second")" -eq 1 ] \
  && ok "second refused, naming $first" || bad "second environment"

step "4. usage() shows the environment's GPU memory while it holds a tensor"
hold='import torch,time; x=torch.empty(1024*1024*1024, dtype=torch.uint8, device="cuda"); print("holding", flush=True); time.sleep(25)'
sc env exec "$first" -- "$python" -c "$hold" > "$work/hold.out" 2>&1 &
holder=$!
for _ in $(seq 1 60); do grep -q holding "$work/hold.out" 2>/dev/null && break; sleep 0.5; done
status=$(sc env status "$first" --json 2>&1); echo "$status" | grep -E '"gpu(Percent|MemoryBytes)"'
mem=$(grep -o '"gpuMemoryBytes" *: *[0-9-]*' <<< "$status" | grep -o '[0-9-]*$')
nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader
[ -n "$mem" ] && [ "$mem" -ge 1073741824 ] && ok "usage: gpuMemoryBytes=$mem (>= the 1 GiB tensor)" || bad "usage gpuMemoryBytes=$mem"
wait $holder
sc env rm "$first" >/dev/null 2>&1

step "5. kill -9 of the manager leaves no process on the GPU"
sc run --gpus 1 --timeout 120s -- "$python" -c "$hold" > "$work/kill.out" 2>&1 &
for _ in $(seq 1 60); do grep -q holding "$work/kill.out" 2>/dev/null && break; sleep 0.5; done
manager=$(pgrep -f "dev.stagecraft.cli.Main.*$config" | head -1)
echo "apps before: $(nvidia-smi --query-compute-apps=pid --format=csv,noheader | tr '\n' ' ')"
[ -n "$manager" ] && kill -9 "$manager"
sleep 5
apps=$(nvidia-smi --query-compute-apps=pid --format=csv,noheader)
echo "apps after kill -9 of $manager: ${apps:-none}"
[ -n "$manager" ] && [ -z "$apps" ] && ok "no process left on the GPU" || bad "processes left: $apps"
sc doctor > /dev/null 2>&1 # the reconcile of the next manager frees the dead one's GPU
again=$(sc run --gpus 1 -- "$python" -c 'import torch; print(torch.cuda.is_available())' 2>&1 | tail -1)
[ "$again" = True ] && ok "the GPU is free again after the reconcile" || bad "GPU after reconcile: $again"

step "6. an environment without --gpus sees no /dev/nvidia*"
out=$(sc run --provider sandbox -- sh -c 'ls /dev | grep -c nvidia; true' 2>&1); echo "nvidia nodes: $out"
[ "$out" = 0 ] && ok "no NVIDIA node without --gpus" || bad "nodes without --gpus: $out"
out=$(sc run --gpus 1 -- sh -c 'ls /dev | grep nvidia | tr "\n" " "' 2>&1); echo "with --gpus 1: $out"

step "7. benchmark: cuInit + one kernel, inside a gpu environment vs. bare on the host ($runs runs each)"
first_use='import time,torch; t=time.perf_counter(); torch.cuda.init(); torch.ones(1,device="cuda").add_(1); torch.cuda.synchronize(); print(round((time.perf_counter()-t)*1000,1))'
bench_env=$(sc env create --gpus 1 2>&1 | tail -1)
bare=(); inside=()
for _ in $(seq 1 "$runs"); do
  bare+=("$("$python" -c "$first_use")")
  inside+=("$(sc env exec "$bench_env" -- "$python" -c "$first_use")")
done
sc env rm "$bench_env" >/dev/null 2>&1
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${bare[@]}"); mi=$(median "${inside[@]}")
echo "bare ms: ${bare[*]} (median $mb); inside ms: ${inside[*]} (median $mi); ratio $(awk -v a="$mi" -v b="$mb" 'BEGIN {printf "%.3f", a/b}')"

echo; echo "passed $pass, failed $fail (work folder $work)"
[ "$fail" -eq 0 ]
