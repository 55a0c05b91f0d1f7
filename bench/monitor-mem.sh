#!/bin/bash
# monitor-mem.sh: memory of the per-container monitor (`hull __hull-monitor`)
# of detached containers, with --network none and with the default network
# (whose slirp4netns is measured too), against podman's conmon when rootless
# podman works here. For each process it reads /proc/PID/smaps_rollup:
#   RSS  resident pages, shared ones counted in full
#   PSS  shared pages divided among the processes that map them
#   USS  Private_Clean + Private_Dirty: what one more container costs
# and prints the mean per process, in KiB, and ratios.
#
#   HULL_BIN=bin/hull bench/monitor-mem.sh [N]      (N containers each, default 10)
#
# As root it re-runs itself as the unprivileged $HULL_USER (default hulltest,
# created by `make setup`), as bench/run-start.sh does.
set -euo pipefail

N=${1:-${N:-10}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../bin/hull}
HULL_BIN=$(readlink -f "$HULL_BIN")

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ -z "$home" ]; then
		echo "monitor-mem.sh: user $user does not exist; run 'make setup' as root" >&2
		exit 1
	fi
	dir=$(mktemp -d /tmp/hull-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	# The floor of any Go monitor: a static Go program that only sleeps.
	floor=
	if command -v go >/dev/null; then
		mkdir -p "$dir/floor"
		printf 'package main\n\nimport "time"\n\nfunc main() { time.Sleep(time.Hour) }\n' >"$dir/floor/main.go"
		printf 'module floor\n' >"$dir/floor/go.mod"
		(cd "$dir/floor" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/go-sleep" .) && floor=$dir/go-sleep
	fi
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" MKBUSYBOX="$dir/mkbusybox.sh" \
		XDG_RUNTIME_DIR= GO_FLOOR="$floor" "$dir/monitor-mem.sh" "$N"
	exit
fi

[ -x "$HULL_BIN" ] || { echo "monitor-mem.sh: $HULL_BIN not found (make build)" >&2; exit 1; }
work=$(mktemp -d /tmp/hull-bench-mem.XXXXXX)
store=$work/store
hull=("$HULL_BIN" --root "$store")
podman=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs)
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

# mem PID...: "RSS PSS USS" means in KiB.
mem() {
	local pid
	for pid in "$@"; do
		awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 }
			END { print r, p, u }' "/proc/$pid/smaps_rollup"
	done | awk '{ r += $1; p += $2; u += $3 } END { if (NR) printf "%d %d %d\n", r / NR, p / NR, u / NR; else print "- - -" }'
}

# pids_of PATTERN: pids of our processes whose command line contains PATTERN.
pids_of() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "${p#/proc/}"
	done
	return 0
}

row() { printf '%-34s %3s %8s %8s %8s\n' "$@"; }
row process n RSS PSS USS
declare -A uss
for net in none default; do
	args=()
	[ "$net" = none ] && args=(--network none)
	for ((i = 0; i < N; i++)); do
		"${hull[@]}" run -d "${args[@]}" busybox sleep 3600 >/dev/null
	done
	sleep 2 # let the monitors settle (their start-up garbage collected)
	mons=($(pids_of "__hull-monitor $store "))
	read -r r p u <<<"$(mem "${mons[@]}")"
	row "hull monitor (--network $net)" "${#mons[@]}" "$r" "$p" "$u"
	uss[$net]=$u
	if [ "$net" = default ]; then
		slirps=()
		for m in "${mons[@]}"; do
			slirps+=($(pgrep -P "$m" slirp4netns || true))
		done
		read -r r p u <<<"$(mem "${slirps[@]}")"
		row "slirp4netns" "${#slirps[@]}" "$r" "$p" "$u"
		uss[slirp]=$u
	fi
	"${hull[@]}" rm -af >/dev/null
done

if [ -n "${GO_FLOOR:-}" ]; then
	floors=()
	for ((i = 0; i < N; i++)); do
		"$GO_FLOOR" &
		floors+=($!)
	done
	sleep 2
	read -r r p u <<<"$(mem "${floors[@]}")"
	row "Go floor (a program that sleeps)" "${#floors[@]}" "$r" "$p" "$u"
	kill "${floors[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
fi

if command -v podman >/dev/null && "${podman[@]}" import "$work/busybox.tar" bench-busybox >/dev/null 2>&1; then
	started=0
	for ((i = 0; i < N; i++)); do
		"${podman[@]}" run -d --network none bench-busybox sleep 3600 >/dev/null 2>&1 ||
			"${podman[@]}" run -d --cgroups=disabled --network none bench-busybox sleep 3600 >/dev/null 2>&1 ||
			break
		started=$((started + 1))
	done
	if [ "$started" -gt 0 ]; then
		sleep 2
		conmons=()
		for p in $(pgrep -u "$(id -u)" -x conmon); do
			tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$work/podman" && conmons+=("$p")
		done
		read -r r p u <<<"$(mem "${conmons[@]}")"
		row "conmon (podman --network none)" "${#conmons[@]}" "$r" "$p" "$u"
		uss[conmon]=$u
	else
		echo "podman: cannot run containers here; conmon not measured" >&2
	fi
else
	echo "podman: not installed or cannot import; conmon not measured" >&2
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
echo "USS ratios: monitor(default net)/monitor(none) $(ratio "${uss[default]}" "${uss[none]}")," \
	"(monitor+slirp4netns)/monitor(none) $(ratio "$(( ${uss[default]} + ${uss[slirp]:-0} ))" "${uss[none]}")" \
	"${uss[conmon]:+, monitor(none)/conmon $(ratio "${uss[none]}" "${uss[conmon]}")}"
