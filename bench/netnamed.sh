#!/bin/bash
# Named-network benchmarks, hull beside podman where it runs: start latency
# of `run --rm IMAGE true` on a named network, container-to-container TCP
# throughput over it (busybox nc both sides), and the memory of the
# network's process and of each attached container's helpers.
# Usage: bench/netnamed.sh [HULL] [RUNS]   (unprivileged, busybox imported)
# Podman's figures need a podman that runs here (crun refuses this
# machine's hybrid cgroups: n/a).
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
if command -v podman >/dev/null && podman image exists busybox 2>/dev/null; then
	podman network create "$NET" >/dev/null 2>&1 && {
		printf '  podman --network NAME            %4s\n' "$(ms podman run --rm --network "$NET" busybox true || echo n/a)"
		podman network rm "$NET" >/dev/null 2>&1 || true
	}
fi

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
