#!/bin/bash
# gpu-image.sh OUT.tar builds the image bench/gpu-check.sh runs on a GPU
# machine, without any network: the busybox root file system of
# test/mkbusybox.sh, this host's glibc (nvidia-smi and libcuda are
# dynamically linked; busybox is static and brings none), and
# /usr/local/bin/cuinit (bench/gpu/cuinit.c, which calls cuInit through the
# libcuda.so.1 that --gpus mounts). A few MiB: small enough to carry to a
# machine without a registry. Import it with `hull import OUT.tar gpucheck`.
set -euo pipefail

out=${1:?usage: gpu-image.sh OUT.tar}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d "${TMPDIR:-/tmp}/hull-gpu-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"

"$here/../test/mkbusybox.sh" "$root" >/dev/null
cc -O2 -o "$root/cuinit.tmp" "$here/gpu/cuinit.c" -ldl
mkdir -p "$root/usr/local/bin" "$root/lib64"
mv "$root/cuinit.tmp" "$root/usr/local/bin/cuinit"

# The libraries cuinit, nvidia-smi and libcuda need, from this host, under
# the multiarch directory the dynamic loader searches by default.
libdir=$(dirname "$(readlink -f "$(ldd "$root/usr/local/bin/cuinit" | awk '/libc.so.6/ {print $3}')")")
mkdir -p "$root$libdir"
for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1; do
	if [ -e "$libdir/$lib" ]; then
		cp -L "$libdir/$lib" "$root$libdir/$lib"
	fi
done
loader=$(ldd "$root/usr/local/bin/cuinit" | awk '/ld-linux/ {print $1}')
cp -L "$loader" "$root$libdir/$(basename "$loader")"
ln -sf "$libdir/$(basename "$loader")" "$root/lib64/$(basename "$loader")"

tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out" .
echo "gpu-image.sh: wrote $out ($(du -h "$out" | cut -f1))"
