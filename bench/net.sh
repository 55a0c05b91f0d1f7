#!/bin/bash
# Network benchmarks, hull beside podman: start latency of `run --rm IMAGE
# true` for each network mode, and TCP throughput host -> container through
# a published port (busybox nc inside, the host's nc/socat outside).
# Usage: bench/net.sh [HULL] [RUNS]   (as an unprivileged user with busybox imported)
set -euo pipefail
HULL=${1:-bin/hull}
RUNS=${2:-20}
MB=${MB:-512}

ms() { # average ms of RUNS runs of "$@"
	local t0 t1
	"$@" >/dev/null 2>&1 || { echo "fail: $*" >&2; return 1; }
	t0=$(date +%s%N)
	for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / RUNS / 1000000))
}

echo "start latency (ms, mean of $RUNS): run --rm busybox true"
for mode in none host bridge pasta; do
	printf '  hull   --network %-7s %4s\n' "$mode" "$(ms "$HULL" run --rm --network "$mode" busybox true)"
done
if command -v podman >/dev/null && podman image exists busybox 2>/dev/null; then
	for mode in none host slirp4netns pasta; do
		printf '  podman --network %-11s %4s\n' "$mode" "$(ms podman run --rm --network "$mode" busybox true || echo n/a)"
	done
fi

throughput() { # MB/s host -> container through a published port
	local port=$((20000 + RANDOM % 20000)) t0 t1
	"$HULL" run --rm -p "127.0.0.1:$port:5000" "$@" busybox sh -c 'nc -l -p 5000 >/dev/null' &
	local pid=$!
	sleep 1 # nc -l takes one connection only: do not probe it
	t0=$(date +%s%N)
	head -c "${MB}M" /dev/zero >"/dev/tcp/127.0.0.1/$port"
	wait $pid || true
	t1=$(date +%s%N)
	echo $((MB * 1000000000 / (t1 - t0)))
}
echo "TCP throughput host -> container, ${MB} MiB through -p (MB/s)"
printf '  hull bridge (slirp4netns, port driver slirp4netns) %6s\n' "$(throughput)"
printf '  hull pasta (pasta, its own port forwarding)         %6s\n' "$(throughput --network pasta)"
