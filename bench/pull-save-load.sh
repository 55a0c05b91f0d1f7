#!/bin/bash
# Pull from a local docker-registry, and save/load of a ~500 MB image, hull
# beside podman. Run as the unprivileged user (e.g. runuser -u hulltest --): needs
# docker-registry, and podman for the comparison. HULL_BIN: hull binary.
set -euo pipefail
HULL=${HULL_BIN:-hull}
W=$(mktemp -d /tmp/hull-bench-xfer.XXXXXX)
trap 'kill $REG 2>/dev/null; rm -rf "$W" 2>/dev/null || podman unshare rm -rf "$W"' EXIT
PORT=$((20000 + RANDOM % 20000))
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/reg}}\nhttp: {addr: 127.0.0.1:%s}\n' "$W" "$PORT" > "$W/reg.yml"
/usr/bin/docker-registry serve "$W/reg.yml" & REG=$!
sleep 1
# A ~500 MB image: busybox plus 5 layers of 100 MB of incompressible data.
"$(dirname "$0")/../test/mkbusybox.sh" "$W/bb.tar" >/dev/null
H="$HULL --root $W/hull"
$H import "$W/bb.tar" bench-base >/dev/null
mkdir -p "$W/ctx"
for i in 1 2 3 4 5; do head -c 100000000 /dev/urandom > "$W/ctx/blob$i"; done
( cd "$W/ctx" && tar cf "$W/data.tar" . )
$H import "$W/data.tar" localhost:$PORT/bench/big:1 >/dev/null   # one big layer
t() { local s=$EPOCHREALTIME; "$@" >/dev/null; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
echo "hull push:  $(t $H push -q localhost:$PORT/bench/big:1) s"
echo "hull pull:  $(t $HULL --root $W/hull2 pull -q localhost:$PORT/bench/big:1) s"
echo "hull save:  $(t $H save -o $W/hull.tar localhost:$PORT/bench/big:1) s"
echo "hull load:  $(t $HULL --root $W/hull3 load -i $W/hull.tar) s"
if command -v podman >/dev/null; then
	P="podman --root $W/podman --runroot $W/podman-run --storage-driver vfs"
	echo "podman pull: $(t $P pull -q --tls-verify=false localhost:$PORT/bench/big:1) s"
	echo "podman save: $(t $P save -o $W/podman.tar localhost:$PORT/bench/big:1) s"
	$P rmi -a >/dev/null
	echo "podman load: $(t $P load -i $W/podman.tar) s"
else
	echo "podman: not installed, no comparison"
fi
