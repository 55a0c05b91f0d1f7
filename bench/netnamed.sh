#!/bin/bash
# Named-network benchmarks, hull beside podman where it runs: start latency
# of `run --rm IMAGE true` on a named network, container-to-container TCP
# throughput over it (busybox nc both sides), and the memory of the
# network's process and of each attached container's helpers.
# Usage: bench/netnamed.sh [HULL] [RUNS]   (unprivileged, busybox imported)
# Podman's figures: rootless podman with runc and the cgroupfs manager
# (crun refuses this machine's hybrid cgroups), vfs, in a store of its own
# (nothing of the user's podman is touched), the same workloads; when it
# cannot run, one line says why. PODMAN=0 skips it; PODMAN_RUNS (default
# min(RUNS, 5)) bounds its start runs, which are slow.
set -euo pipefail
HULL=${1:-bin/hull}
RUNS=${2:-20}
MB=${MB:-512}
NET=bench-$$
RUNDIR=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/hull}
RUNDIR=${RUNDIR:-/tmp/hull-run-$(id -u)}

ms() { # average ms of RUNS runs of "$@"
	local t0 t1
	"$@" >/dev/null 2>&1 || { echo "fail: $*" >&2; return 1; }
	t0=$(date +%s%N)
	for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / RUNS / 1000000))
}
rss_kb() { # RSS and private (anonymous) KiB: most of the RSS is the hull binary's pages, shared
	echo "$(ps -o rss= -p "$1" | tr -d ' ') (private $(awk '/^Private_Dirty/ {print $2}' "/proc/$1/smaps_rollup"))"
}

"$HULL" network create "$NET" >/dev/null
"$HULL" network create --internal "$NET-int" >/dev/null
trap '"$HULL" rm -f bench-srv bench-keep >/dev/null 2>&1 || true; "$HULL" network rm "$NET" "$NET-int" >/dev/null 2>&1 || true' EXIT

echo "start latency (ms, mean of $RUNS): run --rm busybox true"
printf '  hull   --network bridge          %4s\n' "$(ms "$HULL" run --rm busybox true)"
printf '  hull   --network NAME (cold)     %4s   (the network process starts and exits each run)\n' "$(ms "$HULL" run --rm --network "$NET" busybox true)"
"$HULL" run -d --name bench-keep --network "$NET" --network "$NET-int" busybox sleep 3600 >/dev/null
printf '  hull   --network NAME (warm)     %4s   (another container keeps it running)\n' "$(ms "$HULL" run --rm --network "$NET" busybox true)"
printf '  hull   --network NAME --internal %4s\n' "$(ms "$HULL" run --rm --network "$NET-int" busybox true)"

echo "memory (RSS, KiB) with one container (bench-keep) on both networks"
for p in $(pgrep -f "__hull-netd $RUNDIR/networks/"); do
	printf '  network process (pid %s)  %s\n' "$p" "$(rss_kb "$p")"
done
mon=$(pgrep -f "__hull-monitor .* $("$HULL" inspect -f '{{.Id}}' bench-keep)" | head -1)
printf '  its container monitor      %s\n' "$(rss_kb "$mon")"
for p in $(pgrep -P "$mon" slirp4netns); do
	printf '  its slirp4netns (way out)  %s\n' "$(rss_kb "$p")"
done

echo "TCP throughput container -> container over $NET, ${MB} MiB (MB/s)"
"$HULL" run -d --name bench-srv --network "$NET" busybox sh -c 'nc -l -p 5000 >/dev/null' >/dev/null
sleep 1
t0=$(date +%s%N)
"$HULL" run --rm --network "$NET" busybox sh -c "head -c ${MB}m /dev/zero | nc bench-srv 5000" >/dev/null
t1=$(date +%s%N)
echo "  hull (user-space switch, MTU 65520) $((MB * 1000000000 / (t1 - t0)))  (includes one container start)"

# Podman, the same workloads.
[ "${PODMAN:-1}" = 0 ] && exit 0
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	echo "podman: not measured: podman or runc is not installed (apt-get install podman runc)"
	exit 0
fi
work=$(mktemp -d /tmp/hull-bench-netnamed.XXXXXX)
podman=(podman --root "$work/p" --runroot "$work/pr" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs)
trap '"$HULL" rm -f bench-srv bench-keep >/dev/null 2>&1 || true; "$HULL" network rm "$NET" "$NET-int" >/dev/null 2>&1 || true
	"${podman[@]}" rm -af -t 0 >/dev/null 2>&1 || true; "${podman[@]}" network rm -f "$NET" >/dev/null 2>&1 || true
	podman unshare rm -rf "$work/p" "$work/pr" 2>/dev/null || true; rm -rf "$work"' EXIT
here=$(dirname "$0")
if ! err=$( { "$here/../test/mkbusybox.sh" "$work/busybox.tar" && "${podman[@]}" import "$work/busybox.tar" pbusybox &&
	"${podman[@]}" network create "$NET" && "${podman[@]}" run --rm --network "$NET" pbusybox true; } 2>&1 >/dev/null); then
	echo "podman: not measured: $(printf '%s' "$err" | grep -v 'level=warning' | tail -1)"
	exit 0
fi
RUNS=${PODMAN_RUNS:-$((RUNS < 5 ? RUNS : 5))}
echo "podman $(podman version -f '{{.Client.Version}}'), runc, cgroupfs, $("${podman[@]}" info -f '{{.Host.NetworkBackend}}') networks"
echo "start latency (ms, mean of $RUNS): run --rm busybox true"
printf '  podman --network bridge          %4s\n' "$(ms "${podman[@]}" run --rm pbusybox true || echo n/a)"
printf '  podman --network NAME (idle)     %4s   (no container on it; the rootless netns stays up)\n' "$(ms "${podman[@]}" run --rm --network "$NET" pbusybox true || echo n/a)"
"${podman[@]}" run -d --name pkeep --network "$NET" pbusybox sleep 3600 >/dev/null
printf '  podman --network NAME (warm)     %4s   (another container on it)\n' "$(ms "${podman[@]}" run --rm --network "$NET" pbusybox true || echo n/a)"

echo "memory (RSS, KiB) with one container (pkeep) on $NET"
for p in $(pgrep -u "$(id -u)" -f "slirp4netns" ); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q rootless-netns || continue
	printf '  rootless-netns slirp4netns (pid %s, one for all networks)  %s\n' "$p" "$(rss_kb "$p")"
done
for p in $(pgrep -u "$(id -u)" -x aardvark-dns) $(pgrep -u "$(id -u)" -x dnsmasq); do
	printf '  its DNS (%s)  %s\n' "$(cat /proc/$p/comm)" "$(rss_kb "$p")"
done
cid=$("${podman[@]}" inspect -f '{{.Id}}' pkeep)
for p in $(pgrep -u "$(id -u)" -x conmon); do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$cid" && printf '  its container monitor (conmon)  %s\n' "$(rss_kb "$p")"
done
[ -n "$(pgrep -u "$(id -u)" -x aardvark-dns)$(pgrep -u "$(id -u)" -x dnsmasq)" ] ||
	echo "  (no DNS process: the $("${podman[@]}" info -f '{{.Host.NetworkBackend}}') backend here has no dnsname plugin, so names do not resolve)"

echo "TCP throughput container -> container over $NET, ${MB} MiB (MB/s)"
"${podman[@]}" run -d --name psrv --network "$NET" pbusybox sh -c 'nc -l -p 5000 >/dev/null' >/dev/null
ip=$("${podman[@]}" inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" psrv)
sleep 1
t0=$(date +%s%N)
"${podman[@]}" run --rm --network "$NET" pbusybox sh -c "head -c ${MB}m /dev/zero | nc $ip 5000" >/dev/null
t1=$(date +%s%N)
echo "  podman (bridge + veth in the rootless netns) $((MB * 1000000000 / (t1 - t0)))  (by address; includes one container start)"
