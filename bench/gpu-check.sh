#!/bin/bash
# gpu-check.sh HULL IMAGE.tar [OUTDIR] is the real GPU check of issue 18, run
# once on a machine with an NVIDIA GPU (no registry needed):
#
#   bench/gpu-image.sh gpu-image.tar            # here, on any machine
#   bench/gpu-check.sh bin/hull gpu-image.tar "$OUT"   # there
#
# HULL is the static hull binary; IMAGE.tar is a root file system tarball
# for `hull import` (gpu-image.sh makes one: busybox, glibc, cuinit) or a
# docker-archive for `hull load`. As root it runs hull as an unprivileged
# user (HULL_GPU_USER, default hullgpu; created when missing only with
# HULL_GPU_CREATE_USER=1, meant for a throwaway machine): the point is the
# rootless path. Each step prints what it saw; OUTDIR (default: a
# temporary directory) gets the full log, check.log. Exit status 0 when
# every check passed:
#
#   1. hull info lists the GPU nodes and the driver's libraries;
#   2. hull run --rm --gpus all IMAGE nvidia-smi lists the GPU;
#   3. /proc/driver/nvidia/gpus/*/information is readable in the container;
#   4. cuInit through the mounted libcuda.so.1 succeeds (python3 ctypes when
#      the image has python3, else /usr/local/bin/cuinit);
#   5. --gpus 1 and --gpus device=0 give exactly /dev/nvidia0;
#   6. --device /dev/nvidiactl alone binds the node (no driver files).
set -uo pipefail

hull=${1:?usage: gpu-check.sh HULL IMAGE.tar [OUTDIR]}
tarball=${2:?usage: gpu-check.sh HULL IMAGE.tar [OUTDIR]}
outdir=${3:-$(mktemp -d "${TMPDIR:-/tmp}/hull-gpu-check.XXXXXX")}
mkdir -p "$outdir"
log=$outdir/check.log
: >"$log"

work=$(mktemp -d /tmp/hull-gpu-work.XXXXXX)
chmod 0755 "$work"
install -m 0755 "$hull" "$work/hull"
install -m 0644 "$tarball" "$work/image.tar"
trap 'rm -rf "$work"' EXIT

say() { echo "$*" | tee -a "$log"; }
failed=0
fail() { say "FAIL: $*"; failed=1; }
pass() { say "PASS: $*"; }

# Run hull as an unprivileged user: the check is of rootless hull.
as_user=()
if [ "$(id -u)" = 0 ]; then
	user=${HULL_GPU_USER:-hullgpu}
	if ! id -u "$user" >/dev/null 2>&1; then
		if [ "${HULL_GPU_CREATE_USER:-}" = 1 ]; then
			useradd -m "$user" >>"$log" 2>&1 || { say "cannot create user $user; running as root"; user=""; }
		else
			say "no user $user (set HULL_GPU_CREATE_USER=1 to create it); running as root"
			user=""
		fi
	fi
	if [ -n "$user" ]; then
		home=$(getent passwd "$user" | cut -d: -f6)
		as_user=(runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$home")
		chown "$user" "$work"
	fi
fi
store=$work/store
h() { "${as_user[@]}" "$work/hull" --root "$store" "$@"; }

say "== host"
{
	date -u
	uname -a
	id
	ls -l /dev/nvidia* 2>&1
	cat /proc/driver/nvidia/version 2>&1
	ls /usr/local/nvidia/lib64 2>&1 | head -50
	command -v newuidmap newgidmap
	grep "^${user:-$(id -un)}:" /etc/subuid /etc/subgid 2>&1
} >>"$log" 2>&1
"$work/hull" --version >>"$log" 2>&1

say "== import"
if tar -tf "$work/image.tar" 2>/dev/null | grep -qx 'manifest.json'; then
	h load -i "$work/image.tar" >>"$log" 2>&1 && img=$(tar -xOf "$work/image.tar" manifest.json | sed -n 's/.*"RepoTags":\["\([^"]*\)".*/\1/p')
else
	h import "$work/image.tar" gpucheck >>"$log" 2>&1 && img=gpucheck
fi
if [ -z "${img:-}" ]; then
	fail "import $tarball"
	exit 1
fi
say "image: $img"

say "== 1. hull info"
info=$(h info 2>&1)
echo "$info" | sed -n '/^Devices:/,$p' | tee -a "$log"
if echo "$info" | grep -q "GPU nodes: .*/dev/nvidia0" && ! echo "$info" | grep -q "GPU driver: *0 libraries"; then
	pass "hull info lists GPU nodes and driver libraries"
else
	fail "hull info does not list the GPU"
fi

say "== 2. nvidia-smi"
out=$(h run --rm --gpus all "$img" nvidia-smi 2>&1)
rc=$?
echo "$out" | tee -a "$log"
if [ $rc = 0 ] && echo "$out" | grep -q "NVIDIA"; then
	pass "nvidia-smi in the container (exit 0)"
else
	fail "nvidia-smi in the container: exit $rc"
fi
h run --rm --gpus all "$img" nvidia-smi -L >>"$log" 2>&1

say "== 3. /proc/driver/nvidia/gpus/*/information"
out=$(h run --rm --gpus all "$img" sh -c 'cat /proc/driver/nvidia/gpus/*/information' 2>&1)
rc=$?
echo "$out" | tee -a "$log"
if [ $rc = 0 ] && echo "$out" | grep -q "^Model:"; then
	pass "driver information readable"
else
	fail "driver information: exit $rc"
fi

say "== 4. cuInit through the mounted libcuda.so.1"
pycheck='import ctypes
cuda = ctypes.CDLL("libcuda.so.1")
rc = cuda.cuInit(0)
n = ctypes.c_int(0)
cuda.cuDeviceGetCount(ctypes.byref(n))
print("cuInit:", rc)
print("devices:", n.value)
raise SystemExit(0 if rc == 0 and n.value > 0 else 1)'
if h run --rm "$img" sh -c 'command -v python3' >/dev/null 2>&1; then
	out=$(h run --rm --gpus all "$img" python3 -c "$pycheck" 2>&1)
else
	out=$(h run --rm --gpus all "$img" cuinit 2>&1)
fi
rc=$?
echo "$out" | tee -a "$log"
if [ $rc = 0 ] && echo "$out" | grep -q "^cuInit: 0"; then
	pass "cuInit succeeded"
else
	fail "cuInit: exit $rc"
fi
h run --rm --gpus all "$img" sh -c 'echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH PATH=$PATH NVIDIA_VISIBLE_DEVICES=$NVIDIA_VISIBLE_DEVICES"; ls -l /dev/nvidia* /usr/local/nvidia/lib64 /usr/local/nvidia/bin; grep nvidia /proc/self/mountinfo | head -5' >>"$log" 2>&1

say "== 5. --gpus 1 and --gpus device=0"
for g in 1 device=0; do
	out=$(h run --rm --gpus "$g" "$img" sh -c 'ls /dev | grep -E "^nvidia[0-9]+$" | tr "\n" " "' 2>&1)
	rc=$?
	say "--gpus $g: $out"
	if [ $rc = 0 ] && [ "$out" = "nvidia0 " ]; then
		pass "--gpus $g gives /dev/nvidia0 alone"
	else
		fail "--gpus $g: exit $rc, nodes '$out'"
	fi
done

say "== 6. --device /dev/nvidiactl"
out=$(h run --rm --device /dev/nvidiactl "$img" sh -c 'test -c /dev/nvidiactl && echo node-ok; ls /usr/local/nvidia 2>&1' 2>&1)
say "$out"
if echo "$out" | grep -q node-ok; then
	pass "--device /dev/nvidiactl"
else
	fail "--device /dev/nvidiactl"
fi

say "== result: $([ $failed = 0 ] && echo all checks passed || echo some checks FAILED) (log: $log)"
exit $failed
