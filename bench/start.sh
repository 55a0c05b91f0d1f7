#!/bin/bash
# start.sh: the start of `hull run --rm --network none busybox true` beside
# bubblewrap on the same busybox root filesystem, and podman (runc,
# cgroupfs: crun refuses hybrid cgroup hosts) when it works here, in one run:
#   - median wall time per start
#   - CPU per start: user+sys of the command and all its children (bash's
#     `times` over a loop), which machine load distorts far less than wall
#   - P parallel starts (default 20): wall time for all of them, median of R
#     rounds, and how many failed (store lock, id mapping, cgroups)
# all in R interleaved rounds, so that load changes reach every peer alike;
# and the ratios hull/bwrap and hull/podman of each.
#
#   HULL_BIN=bin/hull bench/start.sh [N]    (N runs each, default 100; P=20 R=5)
#   PODMAN=0 ...                             no podman
#   HULL_BASE=old/hull ...                   also times another hull build
#                                            (before/after in the same run)
#
# As root it re-runs itself as the unprivileged $HULL_USER (default hulltest),
# as bench/run-start.sh does: the point is the rootless start.
set -euo pipefail

N=${1:-${N:-100}}
P=${P:-20}
R=${R:-5}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=$(readlink -f "${HULL_BIN:-$here/../bin/hull}")
HULL_BASE=${HULL_BASE:+$(readlink -f "$HULL_BASE")}

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	[ -n "$home" ] || { echo "start.sh: user $user does not exist; run 'make setup' as root" >&2; exit 1; }
	dir=$(mktemp -d /tmp/hull-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	[ -z "$HULL_BASE" ] || install -m 0755 "$HULL_BASE" "$dir/hull-base"
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" MKBUSYBOX="$dir/mkbusybox.sh" \
		N="$N" P="$P" R="$R" PODMAN="${PODMAN:-1}" HULL_BASE="${HULL_BASE:+$dir/hull-base}" "$dir/start.sh" "$N"
	exit
fi

command -v bwrap >/dev/null || { echo "start.sh: bwrap not found (make deps)" >&2; exit 1; }
[ -x "$HULL_BIN" ] || { echo "start.sh: $HULL_BIN not found (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench-start.XXXXXX)
store=$work/store
podman=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs
	--runtime runc --cgroup-manager cgroupfs)
cleanup() {
	"$HULL_BIN" --root "$store" rm -af >/dev/null 2>&1 || true
	"$HULL_BIN" --root "$store" rmi -f busybox >/dev/null 2>&1 || true
	if [ -d "$work/podman" ]; then
		"${podman[@]}" rm -af -t 0 >/dev/null 2>&1 || true
		podman unshare rm -rf "$work/podman" "$work/podman-run" 2>/dev/null || true
	fi
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

mk=${MKBUSYBOX:-$here/../test/mkbusybox.sh}
"$mk" "$work/rootfs" >/dev/null 2>&1
"$mk" "$work/busybox.tar" >/dev/null 2>&1
"$HULL_BIN" --root "$store" import "$work/busybox.tar" busybox >/dev/null

hull_cmd=("$HULL_BIN" --root "$store" run --rm --network none busybox true)
base_cmd=()
[ -z "$HULL_BASE" ] || base_cmd=("$HULL_BASE" --root "$store" run --rm --network none busybox true)
bwrap_cmd=(bwrap --unshare-all --die-with-parent --bind "$work/rootfs" / --proc /proc --dev /dev /bin/true)
podman_cmd=()
if [ "${PODMAN:-1}" != 0 ] && command -v podman >/dev/null && command -v runc >/dev/null &&
	"${podman[@]}" import "$work/busybox.tar" bench-busybox >/dev/null 2>&1; then
	podman_cmd=("${podman[@]}" run --rm --network none bench-busybox true)
	if ! "${podman_cmd[@]}" >/dev/null 2>&1; then
		echo "podman: fails on this host; not timed" >&2
		podman_cmd=()
	fi
fi
"${hull_cmd[@]}" || { echo "start.sh: hull run failed" >&2; exit 1; }
"${bwrap_cmd[@]}" || { echo "start.sh: bwrap failed" >&2; exit 1; }

# The peers are measured in R interleaved rounds (hull, base, bwrap, podman,
# then again), each round N/R starts of each and one batch of P parallel
# starts: a change of machine load (other work on a shared VM) then
# reaches every peer alike, instead of whichever block ran at that time.
# wall CMD...: appends the wall ms of each of n runs to $work/wall.$t.
wall() {
	local i t0 t1
	for ((i = 0; i < n; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$work/wall.$t"
	done
}
# cpu CMD...: appends the user+sys ms of n runs, children included, to
# $work/cpu.$t.
cpu() {
	bash -c 'for ((i = 0; i < '"$n"'; i++)); do "$@" >/dev/null 2>&1; done; times' _ "$@" | tail -1 |
		awk '{ split($1, u, /m|s/); split($2, s, /m|s/)
			printf "%.3f\n", ((u[1] * 60 + u[2]) + (s[1] * 60 + s[2])) * 1000 }' >>"$work/cpu.$t"
}
# parallel CMD...: appends the wall ms of P starts at once to
# $work/par.$t, and the failures to $work/fail.$t.
parallel() {
	local i t0 t1 pid fails=0 pids=()
	t0=$(date +%s%N)
	for ((i = 0; i < P; i++)); do
		"$@" >/dev/null 2>>"$work/par.err" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || fails=$((fails + 1))
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$work/par.$t"
	echo "$fails" >>"$work/fail.$t"
}
median_ms() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] / 1000 }'; }

echo "runs: $N each in $R interleaved rounds, $P parallel per round; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
n=$(((N + R - 1) / R))
peers=()
for t in hull base bwrap podman; do
	declare -n cmd=${t}_cmd
	[ ${#cmd[@]} -eq 0 ] || peers+=("$t")
	unset -n cmd
done
for t in "${peers[@]}"; do # warm-up
	declare -n cmd=${t}_cmd
	"${cmd[@]}" >/dev/null 2>&1 || true
	unset -n cmd
done
for ((r = 0; r < R; r++)); do
	for t in "${peers[@]}"; do
		declare -n cmd=${t}_cmd
		wall "${cmd[@]}"
		cpu "${cmd[@]}"
		parallel "${cmd[@]}"
		unset -n cmd
	done
done
declare -A W C PW PF
for t in "${peers[@]}"; do
	W[$t]=$(median_ms "$work/wall.$t")
	C[$t]=$(awk -v n=$((n * R)) '{ s += $1 } END { printf "%.2f\n", s / n }' "$work/cpu.$t")
	PW[$t]=$(awk '{ print $1 }' "$work/par.$t" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f\n", v[int((NR + 1) / 2)] / 1000 }')
	PF[$t]=$(awk '{ s += $1 } END { print s + 0 }' "$work/fail.$t")
done
printf '%-7s %12s %12s %16s %9s\n' peer wall_ms cpu_ms "${P}x_parallel_ms" failures
for t in hull base bwrap podman; do
	[ -n "${W[$t]:-}" ] || continue
	printf '%-7s %12s %12s %16s %9s\n' "$t" "${W[$t]}" "${C[$t]}" "${PW[$t]}" "${PF[$t]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "hull/bwrap: wall $(ratio "${W[hull]}" "${W[bwrap]}"), cpu $(ratio "${C[hull]}" "${C[bwrap]}")," \
	"${P} parallel $(ratio "${PW[hull]}" "${PW[bwrap]}")"
if [ -n "${W[base]:-}" ]; then
	echo "base/bwrap: wall $(ratio "${W[base]}" "${W[bwrap]}"), cpu $(ratio "${C[base]}" "${C[bwrap]}")," \
		"${P} parallel $(ratio "${PW[base]}" "${PW[bwrap]}")"
fi
if [ -n "${W[podman]:-}" ]; then
	echo "hull/podman: wall $(ratio "${W[hull]}" "${W[podman]}"), cpu $(ratio "${C[hull]}" "${C[podman]}")," \
		"${P} parallel $(ratio "${PW[hull]}" "${PW[podman]}")"
fi
if [ -s "$work/par.err" ]; then
	echo "first errors of the parallel starts:"
	sort "$work/par.err" | uniq -c | sort -rn | awk 'NR <= 5'
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
