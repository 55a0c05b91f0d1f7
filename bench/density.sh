#!/bin/bash
# density.sh: how many containers fit. Starts N detached `sleep` containers
# with --network none, then N with the default network (slirp4netns), and
# for each round reports:
#   - wall time to start all N (one after the other, as a script would)
#   - memory of hull's helper processes (monitors; slirp4netns for the
#     default network), summed over the N: RSS, PSS and USS (Private_Clean +
#     Private_Dirty: what one more container costs) from /proc/PID/smaps_rollup,
#     and the USS and PSS per container
#   - disk per container (du of the store's containers/ over N)
#   - wall time to remove them all (rm -f of the N)
# then the same for rootless podman (conmon; slirp4netns) in the same run,
# when podman works here (runc, cgroupfs, vfs in a store of its own), and the
# hull/podman ratios. Memory and disk do not move with machine load; the
# wall times do (the load is printed).
#
#   HULL_BIN=bin/hull bench/density.sh [N]      (default 20)
#   PODMAN=0 ...                                 hull only (a second build)
#
# As root it re-runs itself as the unprivileged $HULL_USER (default hulltest).
set -euo pipefail

N=${1:-${N:-20}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=$(readlink -f "${HULL_BIN:-$here/../bin/hull}")

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	[ -n "$home" ] || { echo "density.sh: user $user does not exist; run 'make setup' as root" >&2; exit 1; }
	dir=$(mktemp -d /tmp/hull-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" MKBUSYBOX="$dir/mkbusybox.sh" \
		XDG_RUNTIME_DIR= PODMAN="${PODMAN:-1}" "$dir/density.sh" "$N"
	exit
fi

[ -x "$HULL_BIN" ] || { echo "density.sh: $HULL_BIN not found (make build)" >&2; exit 1; }
work=$(mktemp -d /tmp/hull-bench-density.XXXXXX)
store=$work/store
hull=("$HULL_BIN" --root "$store")
podman=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs
	--runtime runc --cgroup-manager cgroupfs)
cleanup() {
	"${hull[@]}" rm -af >/dev/null 2>&1 || true
	if [ -d "$work/podman" ]; then
		"${podman[@]}" rm -af -t 0 >/dev/null 2>&1 || true
		podman unshare rm -rf "$work/podman" "$work/podman-run" 2>/dev/null || true
	fi
	"${hull[@]}" rmi -f busybox >/dev/null 2>&1 || true
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

"${MKBUSYBOX:-$here/../test/mkbusybox.sh}" "$work/busybox.tar" >/dev/null 2>&1
"${hull[@]}" import "$work/busybox.tar" busybox >/dev/null

# mem PID...: "RSS PSS USS" summed, in KiB.
mem() {
	local pid
	for pid in "$@"; do
		awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 }
			END { print r, p, u }' "/proc/$pid/smaps_rollup" 2>/dev/null || true
	done | awk '{ r += $1; p += $2; u += $3 } END { printf "%d %d %d\n", r, p, u }'
}
# pids_of PATTERN: pids of our processes whose command line contains PATTERN.
pids_of() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
	done
	return 0
}
# netpids: this user's slirp4netns and pasta processes (pgrep matches a
# name of at most 15 characters: one pattern each).
netpids() {
	pgrep -u "$(id -u)" -x slirp4netns || true
	pgrep -u "$(id -u)" -x pasta || true
}
pkib() { { podman unshare du -sk "$1" 2>/dev/null || echo 0; } | awk 'NR == 1 { print $1 + 0 }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# kib DIR: its size on disk. Container upper dirs belong to subordinate
# ids: du runs in hull's user namespace (hull unshare) to read them all.
kib() {
	{ "${hull[@]}" unshare du -sk "$1" 2>/dev/null || du -sk "$1" 2>/dev/null || echo 0; } | awk 'NR == 1 { print $1 + 0 }'
}

echo "N=$N containers per round; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %4s %8s %10s %10s %10s %8s %8s %8s %8s\n' round n start_s "RSS_KiB" "PSS_KiB" "USS_KiB" \
	PSS/ctr USS/ctr disk/ctr rm_s
row() {
	# row NAME N START_MS RSS PSS USS DISK_KIB RM_MS
	awk -v name="$1" -v n="$2" -v s="$3" -v r="$4" -v p="$5" -v u="$6" -v d="$7" -v rm="$8" 'BEGIN {
		printf "%-26s %4d %8.2f %10d %10d %10d %8d %8d %8d %8.2f\n", name, n, s / 1000, r, p, u,
			p / n, u / n, d / n, rm / 1000 }'
}
declare -A PSS USS START RM
for net in none default; do
	args=()
	[ "$net" = none ] && args=(--network none)
	base=$(kib "$store/containers")
	t0=$(now_ms)
	for ((i = 0; i < N; i++)); do
		"${hull[@]}" run -d "${args[@]}" busybox sleep 3600 >/dev/null
	done
	START[$net]=$(($(now_ms) - t0))
	sleep 3 # the monitors return their start-up garbage
	mons=($(pids_of "__hull-monitor $store "))
	helpers=("${mons[@]}")
	if [ "$net" = default ]; then
		for m in "${mons[@]}"; do
			helpers+=($(pgrep -P "$m" slirp4netns || true))
		done
	fi
	read -r r p u <<<"$(mem "${helpers[@]}")"
	disk=$(($(kib "$store/containers") - base))
	t0=$(now_ms)
	"${hull[@]}" rm -f $("${hull[@]}" ps -q) >/dev/null
	RM[$net]=$(($(now_ms) - t0))
	row "hull --network $net" "$N" "${START[$net]}" "$r" "$p" "$u" "$disk" "${RM[$net]}"
	echo "  (${#mons[@]} monitors, $((${#helpers[@]} - ${#mons[@]})) network helpers)"
	PSS[$net]=$p USS[$net]=$u
done

if [ "${PODMAN:-1}" != 0 ] && command -v podman >/dev/null && command -v runc >/dev/null &&
	"${podman[@]}" import "$work/busybox.tar" bench-busybox >/dev/null 2>&1 &&
	"${podman[@]}" run --rm --network none bench-busybox true >/dev/null 2>&1; then
	for net in none default; do
		args=()
		[ "$net" = none ] && args=(--network none)
		base=$(pkib "$work/podman")
		# Other users of this account may run slirp4netns too: count
		# only the ones that appear during this round.
		before=" $(netpids | tr '\n' ' ') "
		t0=$(now_ms)
		for ((i = 0; i < N; i++)); do
			"${podman[@]}" run -d "${args[@]}" bench-busybox sleep 3600 >/dev/null
		done
		start=$(($(now_ms) - t0))
		sleep 3
		helpers=()
		for p in $(pgrep -u "$(id -u)" -x conmon); do
			tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$work/podman" && helpers+=("$p")
		done
		nconmon=${#helpers[@]}
		if [ "$net" = default ]; then
			for p in $(netpids); do
				[[ $before == *" $p "* ]] || helpers+=("$p")
			done
		fi
		read -r r p u <<<"$(mem "${helpers[@]}")"
		disk=$(($(pkib "$work/podman") - base))
		t0=$(now_ms)
		"${podman[@]}" rm -f -t 0 $("${podman[@]}" ps -q) >/dev/null
		rm_ms=$(($(now_ms) - t0))
		row "podman --network $net" "$N" "$start" "$r" "$p" "$u" "$disk" "$rm_ms"
		echo "  ($nconmon conmons, $((${#helpers[@]} - nconmon)) network helpers; disk: vfs, a full rootfs copy each)"
		PSS[p$net]=$p USS[p$net]=$u START[p$net]=$start RM[p$net]=$rm_ms
	done
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
	for net in none default; do
		echo "hull/podman --network $net: start $(ratio "${START[$net]}" "${START[p$net]}")," \
			"PSS $(ratio "${PSS[$net]}" "${PSS[p$net]}"), USS $(ratio "${USS[$net]}" "${USS[p$net]}")," \
			"rm $(ratio "${RM[$net]}" "${RM[p$net]}")"
	done
else
	echo "podman: not installed or cannot run containers here; no peer figures" >&2
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
