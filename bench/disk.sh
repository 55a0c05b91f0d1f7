#!/bin/bash
# Disk per image and what keeping each layer once costs: imports an image
# tarball (HULL_TEST_DEBIAN_TAR, the suite's debootstrapped Debian, or
# ARG1), then prints the store's bytes on disk (du: unpacked layers, blobs,
# tar-split metadata), what `system df` says, and the time of the import
# and of `save` (which writes each layer's tar again from its directory),
# each as wall/CPU seconds.
# HULL_BASE=other-hull measures a second build beside it in the same run.
# Run as the unprivileged user (runuser -u hulltest --). N: save runs.
set -euo pipefail
TARBALL=${1:-${HULL_TEST_DEBIAN_TAR:-/var/cache/hull-test/debian-bookworm.tar}}
N=${N:-3}
W=$(mktemp -d /tmp/hull-bench-disk.XXXXXX)
trap '"${HULL_BIN:-hull}" --root "$W/s0" unshare rm -rf "$W" 2>/dev/null; rm -rf "$W" 2>/dev/null || true' EXIT
# t prints a command's wall time / CPU time (user+system, with the
# helpers it waits for), in seconds.
t() {
	local TIMEFORMAT='%R %U %S' out
	out=$({ time "$@" >/dev/null; } 2>&1 | tail -1)
	awk -v o="$out" 'BEGIN{split(o, f, " "); printf "%.2f/%.2f", f[1], f[2] + f[3]}'
}
kib() { du -sk "$1" 2>/dev/null | cut -f1; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); image: $TARBALL ($(($(stat -c %s "$TARBALL") / 1024)) KiB)"
i=0
for bin in "${HULL_BIN:-hull}" ${HULL_BASE:-}; do
	S="$W/s$i"; i=$((i + 1))
	H="$bin --root $S"
	imp=$(t $H import "$TARBALL" img)
	# du of files owned by subordinate ids needs the user namespace.
	du_in() { $H unshare du -sk "$1" 2>/dev/null | cut -f1 || kib "$1"; }
	store=$(du_in "$S"); layers=$(du_in "$S/layers")
	df=$($H system df | awk '/^Images/ {print $4}')
	saves=""
	for _ in $(seq "$N"); do saves="$saves $(t $H save -o "$W/out.tar" img)"; done
	echo "$bin: store ${store} KiB = layers ${layers} + blobs $(kib "$S/blobs") + tar-split $(kib "$S/tarsplit") KiB;" \
		"store/unpacked $(awk -v a="$store" -v b="$layers" 'BEGIN{printf "%.2f", a/b}'); system df ${df};" \
		"import ${imp} s; save${saves} s ($(($(stat -c %s "$W/out.tar") / 1024)) KiB)"
	rm -f "$W/out.tar"
done
