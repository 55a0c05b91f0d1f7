#!/bin/bash
# run-start.sh: start-up latency of `hull run --rm --network none busybox true`
# against bubblewrap on the same busybox root filesystem (and podman when it
# is installed). Prints the median in milliseconds for each and hull/bwrap.
#
#   HULL_BIN=bin/hull bench/run-start.sh [N]      (N runs each, default 200)
#
# As root it re-runs itself as the unprivileged $HULL_USER (default hulltest,
# created by `make setup`): the point is the rootless start-up path.
# Uses hyperfine when installed, else a loop timed with date +%s%N.
set -euo pipefail

N=${1:-${N:-200}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../bin/hull}
HULL_BIN=$(readlink -f "$HULL_BIN")

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ -z "$home" ]; then
		echo "run-start.sh: user $user does not exist; run 'make setup' as root" >&2
		exit 1
	fi
	# The checkout may be unreadable to that user: run from copies.
	dir=$(mktemp -d /tmp/hull-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" MKBUSYBOX="$dir/mkbusybox.sh" \
		"$dir/run-start.sh" "$N"
	exit
fi

for tool in bwrap; do
	command -v "$tool" >/dev/null || { echo "run-start.sh: $tool not found (make deps)" >&2; exit 1; }
done
[ -x "$HULL_BIN" ] || { echo "run-start.sh: $HULL_BIN not found (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench-run.XXXXXX)
store=$work/store
# Layers hull unpacked may belong to subordinate ids: remove what is left as
# root of a user namespace that maps them, as hull does.
cleanup() {
	"$HULL_BIN" --root "$store" rmi -f busybox >/dev/null 2>&1 || true
	rm -rf "$work" 2>/dev/null && return
	local u g
	u=$(awk -F: -v n="$(id -un)" -v i="$(id -u)" '$1 == n || $1 == i { print $2 ",1," $3; exit }' /etc/subuid)
	g=$(awk -F: -v n="$(id -un)" -v i="$(id -u)" '$1 == n || $1 == i { print $2 ",1," $3; exit }' /etc/subgid)
	if [ -n "$u" ] && [ -n "$g" ]; then
		unshare --user --map-root-user --map-users="$u" --map-groups="$g" rm -rf "$work" || true
	fi
}
trap cleanup EXIT

mk=${MKBUSYBOX:-$here/../test/mkbusybox.sh}
"$mk" "$work/rootfs"
"$mk" "$work/busybox.tar"
"$HULL_BIN" --root "$store" import "$work/busybox.tar" busybox >/dev/null

hull_cmd=("$HULL_BIN" --root "$store" run --rm --network none busybox true)
bwrap_cmd=(bwrap --unshare-all --die-with-parent --bind "$work/rootfs" / --proc /proc --dev /dev /bin/true)
podman_cmd=()
if command -v podman >/dev/null; then
	podman import "$work/busybox.tar" hull-bench-busybox >/dev/null
	podman_cmd=(podman run --rm --network none hull-bench-busybox true)
	# A peer that fails (crun refuses this host's hybrid cgroup layout)
	# would be timed failing: try it once, and fall back to
	# --cgroups=disabled before giving up on it.
	if ! "${podman_cmd[@]}" >/dev/null 2>&1; then
		podman_cmd=(podman run --rm --cgroups=disabled --network none hull-bench-busybox true)
		if ! "${podman_cmd[@]}" >/dev/null 2>&1; then
			echo "podman: fails on this host; not timed" >&2
			podman_cmd=()
		fi
	fi
fi

# Fail early and loudly rather than time a command that errors.
"${hull_cmd[@]}" || { echo "run-start.sh: hull run failed" >&2; exit 1; }
"${bwrap_cmd[@]}" || { echo "run-start.sh: bwrap failed" >&2; exit 1; }

# median_ms CMD...: median wall time of N runs, in milliseconds (3 decimals).
median_ms() {
	if command -v hyperfine >/dev/null; then
		local json=$work/hyperfine.json
		hyperfine -N --warmup 5 --runs "$N" --export-json "$json" "$(printf '%q ' "$@")" >/dev/null
		grep -m1 '"median"' "$json" | sed 's/.*: *//; s/,//' | awk '{ printf "%.3f\n", $1 * 1000 }'
		return
	fi
	local i t0 t1
	for i in 1 2 3 4 5; do "$@" >/dev/null; done
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f\n", m / 1000 }'
}

echo "runs: $N each ($(command -v hyperfine >/dev/null && echo hyperfine || echo 'bash loop, date +%s%N'))"
hull_ms=$(median_ms "${hull_cmd[@]}")
bwrap_ms=$(median_ms "${bwrap_cmd[@]}")
printf '%-8s median %8s ms   %s\n' hull "$hull_ms" "hull run --rm --network none busybox true"
printf '%-8s median %8s ms   %s\n' bwrap "$bwrap_ms" "bwrap --unshare-all ... /bin/true"
if [ ${#podman_cmd[@]} -gt 0 ]; then
	podman_ms=$(median_ms "${podman_cmd[@]}")
	printf '%-8s median %8s ms   %s\n' podman "$podman_ms" "podman run --rm --network none busybox true"
	podman rmi hull-bench-busybox >/dev/null 2>&1 || true
fi
awk -v h="$hull_ms" -v b="$bwrap_ms" 'BEGIN { printf "hull/bwrap ratio: %.2f\n", h / b }'
