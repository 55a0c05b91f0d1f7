#!/bin/bash
# build-plugins.sh: what installed instruction plugins cost a no-op rebuild.
# Times `hull build` of a fully cached Dockerfile that uses no plugin, with
# no plugin installed and with five installed (in a --plugin-dir), and
# prints the median of each in milliseconds and the ratio. The goal: five
# plugins cost no more than 10% (discovery keeps each one's sha256 and Info
# by file identity, so an unchanged plugin is neither hashed nor launched).
#
#   HULL_BIN=bin/hull TEST_PLUGINS=/tmp/hull-test-plugins bench/build-plugins.sh [N]
#
# N runs each (default 40), interleaved so that a load change on the
# machine hits both alike. The plugins are the test plugins (`make
# test-plugins`). As root it re-runs itself as the unprivileged $HULL_USER
# (default hulltest, created by `make setup`).
set -euo pipefail

N=${1:-${N:-40}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../bin/hull}
HULL_BIN=$(readlink -f "$HULL_BIN")
TEST_PLUGINS=${TEST_PLUGINS:-/tmp/hull-test-plugins}

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ -z "$home" ]; then
		echo "build-plugins.sh: user $user does not exist; run 'make setup' as root" >&2
		exit 1
	fi
	dir=$(mktemp -d /tmp/hull-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" MKBUSYBOX="$dir/mkbusybox.sh" \
		TEST_PLUGINS="$TEST_PLUGINS" "$dir/build-plugins.sh" "$N"
	exit
fi

[ -x "$HULL_BIN" ] || { echo "build-plugins.sh: $HULL_BIN not found (make build)" >&2; exit 1; }
# Five plugins with keywords of their own (the Dockerfile uses none):
# name in the plugin dir = file in TEST_PLUGINS.
declare -A five=([hull-template]=hull-template [hull-test-bad]=buildplugin [hull-test-label]=buildplugin
	[hull-test-pin]=pinplugin [hull-checksum]=hull-checksum)
for src in "${five[@]}"; do
	[ -x "$TEST_PLUGINS/$src" ] || { echo "build-plugins.sh: $TEST_PLUGINS/$src not found (make test-plugins)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hull-bench-plugins.XXXXXX)
store=$work/store
# Layers hull unpacked may belong to subordinate ids: remove what is left as
# root of a user namespace that maps them, as hull does.
cleanup() {
	"$HULL_BIN" --root "$store" rmi -f noop busybox >/dev/null 2>&1 || true
	rm -rf "$work" 2>/dev/null && return
	local u g
	u=$(awk -F: -v n="$(id -un)" -v i="$(id -u)" '$1 == n || $1 == i { print $2 ",1," $3; exit }' /etc/subuid)
	g=$(awk -F: -v n="$(id -un)" -v i="$(id -u)" '$1 == n || $1 == i { print $2 ",1," $3; exit }' /etc/subgid)
	if [ -n "$u" ] && [ -n "$g" ]; then
		unshare --user --map-root-user --map-users="$u" --map-groups="$g" rm -rf "$work" || true
	fi
}
trap cleanup EXIT

# Only the plugins of this script: its own config and cache dirs.
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
unset HULL_PLUGIN_PATH
mkdir -p "$work/none" "$work/five" "$work/ctx" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
for name in "${!five[@]}"; do
	install -m 0755 "$TEST_PLUGINS/${five[$name]}" "$work/five/$name"
done

mk=${MKBUSYBOX:-$here/../test/mkbusybox.sh}
"$mk" "$work/busybox.tar"
"$HULL_BIN" --root "$store" import "$work/busybox.tar" busybox >/dev/null
printf 'FROM busybox\nRUN echo built > /built\nENV A=b\nWORKDIR /app\nCMD ["sh"]\n' >"$work/ctx/Dockerfile"

build() { "$HULL_BIN" --root "$store" build -q -t noop --plugin-dir "$1" "$work/ctx" >/dev/null; }
# The first build fills the build cache; the first with the plugins
# discovers them (each launched once, then remembered).
t0=$(date +%s%N); build "$work/none"; t1=$(date +%s%N)
build "$work/five"; t2=$(date +%s%N)
build "$work/five"
printf 'first build: %d ms; first no-op rebuild with five new plugins (discovery): %d ms\n' \
	$(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000))
for i in 1 2 3; do build "$work/none"; build "$work/five"; done

# Interleaved timings, in microseconds, one "none US" or "five US" line each.
for ((i = 0; i < N; i++)); do
	for set in none five; do
		t0=$(date +%s%N)
		build "$work/$set"
		t1=$(date +%s%N)
		echo "$set $(((t1 - t0) / 1000))"
	done
done >"$work/times"

median_ms() {
	awk -v s="$1" '$1 == s { print $2 }' "$work/times" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f\n", m / 1000 }'
}
none_ms=$(median_ms none)
five_ms=$(median_ms five)
echo "runs: $N each, interleaved (bash loop, date +%s%N)"
printf 'no-op rebuild, 0 plugins: median %7s ms\n' "$none_ms"
printf 'no-op rebuild, 5 plugins: median %7s ms\n' "$five_ms"
awk -v a="$five_ms" -v b="$none_ms" 'BEGIN { printf "5 plugins / 0 plugins: %.3f (goal: at most 1.10)\n", a / b }'
