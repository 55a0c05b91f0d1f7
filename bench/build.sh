#!/bin/bash
# build.sh: hull build against podman, buildah and charliecloud (ch-image),
# each when installed, on the three reference workloads of
# bench-workloads/ (a-10steps, b-bigctx, c-multistage), in the same run:
#
#   cold     --no-cache (ch-image: --rebuild), after a warm-up build
#   no-op    a rebuild with nothing changed
#   edit     a rebuild after writing new content into one file
#            (ctx-a/last.txt for a and c, ctx-b/files/0000.txt for b)
#
# Prints the median of N runs (default 5) in milliseconds per tool and
# figure, wall time and CPU (user + system of the build and every process
# it waited for), then hull/peer ratios (wall).
#
#   HULL_BIN=bin/hull bench/build.sh [N]
#   WORKLOADS=/work/shared/bench-workloads (default: bench/workloads, else that)
#   ONLY="b"             the workloads to run (default "a b c")
#   PEERS=0              hull only: podman, buildah and ch-image are not run
#   HULL_BEFORE=path     also runs that hull binary (its own store), as the
#                        tool "before", for a before/after in one run
#
# As root it re-runs itself as the unprivileged $HULL_USER (default
# hulltest, created by `make setup`): every tool runs rootless. podman and
# buildah build with --isolation chroot (their OCI runtime, crun, cannot
# start containers as that user on these machines); ch-image keeps its
# storage in the run's temp dir.
set -euo pipefail

N=${1:-${N:-5}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=$(readlink -f "${HULL_BIN:-$here/../bin/hull}")
WORKLOADS=${WORKLOADS:-}
if [ -z "$WORKLOADS" ]; then
	for d in "$here/workloads" "$here/../../shared/bench-workloads" /work/shared/bench-workloads; do
		if [ -f "$d/make-contexts.sh" ]; then WORKLOADS=$d; break; fi
	done
fi
[ -n "$WORKLOADS" ] && [ -f "$WORKLOADS/make-contexts.sh" ] ||
	{ echo "build.sh: no workloads (set WORKLOADS to the bench-workloads dir)" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
	user=${HULL_USER:-hulltest}
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ -z "$home" ]; then
		echo "build.sh: user $user does not exist; run 'make setup' as root" >&2
		exit 1
	fi
	# The checkout may be unreadable to that user: run from copies.
	dir=$(mktemp -d /tmp/hull-bench-build.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	chmod 0755 "$dir"
	install -m 0755 "$0" "$here/../test/mkbusybox.sh" "$dir/"
	install -m 0755 "$HULL_BIN" "$dir/hull"
	before=
	if [ -n "${HULL_BEFORE:-}" ]; then
		install -m 0755 "$HULL_BEFORE" "$dir/hull-before"
		before=$dir/hull-before
	fi
	cp -r "$WORKLOADS" "$dir/workloads"
	chmod -R a+rX "$dir"
	runuser -u "$user" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 HULL_BIN="$dir/hull" \
		MKBUSYBOX="$dir/mkbusybox.sh" WORKLOADS="$dir/workloads" ONLY="${ONLY:-a b c}" PEERS="${PEERS:-1}" \
		HULL_BEFORE="$before" "$dir/build.sh" "$N"
	exit
fi

[ -x "$HULL_BIN" ] || { echo "build.sh: $HULL_BIN not found (make build)" >&2; exit 1; }
ONLY=${ONLY:-a b c}
PEERS=${PEERS:-1}
HULL_BEFORE=${HULL_BEFORE:-}

work=$(mktemp -d /tmp/hull-bench-build-run.XXXXXX)
store=$work/hull-store
cleanup() {
	if command -v podman >/dev/null; then
		podman rmi -f hull-bench-busybox bench-a bench-b bench-c >/dev/null 2>&1 || true
		buildah rmi -f bench-a bench-b bench-c >/dev/null 2>&1 || true
	fi
	rm -rf "$work" 2>/dev/null && return
	# Layers hull or podman unpacked may belong to subordinate ids.
	local u g
	u=$(awk -F: -v n="$(id -un)" '$1 == n { print $2 ",1," $3; exit }' /etc/subuid)
	g=$(awk -F: -v n="$(id -un)" '$1 == n { print $2 ",1," $3; exit }' /etc/subgid)
	if [ -n "$u" ] && [ -n "$g" ]; then
		unshare --user --map-root-user --map-users="$u" --map-groups="$g" rm -rf "$work" || true
	fi
}
trap cleanup EXIT

"${MKBUSYBOX:-$here/../test/mkbusybox.sh}" "$work/busybox.tar" 2>/dev/null
bash "$WORKLOADS/make-contexts.sh" "$work"
# The workloads expect busybox with PATH=/bin:/usr/bin and CMD /bin/sh.
changes=(--change 'ENV PATH=/bin:/usr/bin' --change 'CMD ["/bin/sh"]')
"$HULL_BIN" --root "$store" import "${changes[@]}" "$work/busybox.tar" busybox >/dev/null

# Each tool: a build function taking (mode tag dockerfile context); mode
# is cold or cached. The peers' Dockerfiles name their own base image.
tools=(hull)
hull_build() {
	local extra=()
	[ "$1" = cold ] && extra=(--no-cache)
	"$HULL_BIN" --root "$store" build -q "${extra[@]}" -t "$2" -f "$3" "$4"
}
if [ -n "$HULL_BEFORE" ]; then
	"$HULL_BEFORE" --root "$store-before" import "${changes[@]}" "$work/busybox.tar" busybox >/dev/null
	tools=(before hull)
fi
before_build() {
	local extra=()
	[ "$1" = cold ] && extra=(--no-cache)
	"$HULL_BEFORE" --root "$store-before" build -q "${extra[@]}" -t "$2" -f "$3" "$4"
}

declare -A status=([podman]="not installed" [buildah]="not installed" [ch-image]="not installed")
peer_df() { sed 's/^FROM busybox/FROM hull-bench-busybox/' "$1" >"$2"; }
if [ "$PEERS" = 0 ]; then
	status=()
elif command -v podman >/dev/null && command -v buildah >/dev/null; then
	if podman import "${changes[@]}" "$work/busybox.tar" hull-bench-busybox >/dev/null 2>&1; then
		tools+=(podman buildah)
		status[podman]=ok status[buildah]=ok
	else
		status[podman]="import failed" status[buildah]="import failed"
	fi
elif command -v podman >/dev/null; then
	status[podman]="import failed"
	podman import "${changes[@]}" "$work/busybox.tar" hull-bench-busybox >/dev/null && tools+=(podman) && status[podman]=ok
fi
podman_build() {
	local extra=()
	[ "$1" = cold ] && extra=(--no-cache)
	podman build -q --isolation chroot "${extra[@]}" -t "$2" -f "$3.podman" "$4"
}
buildah_build() {
	local extra=()
	[ "$1" = cold ] && extra=(--no-cache)
	buildah bud -q --layers --isolation chroot "${extra[@]}" -t "$2" -f "$3.podman" "$4"
}
if [ "$PEERS" != 0 ] && command -v ch-image >/dev/null; then
	# ch-image's build cache is a git repository: it needs an identity.
	export CH_IMAGE_STORAGE=$work/ch GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost \
		GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
	if ch-image import "$work/busybox.tar" busybox >/dev/null 2>&1; then
		tools+=(ch-image)
		status[ch-image]=ok
	else
		status[ch-image]="import failed: $(ch-image import "$work/busybox.tar" busybox 2>&1 | tail -1)"
	fi
fi
ch-image_build() {
	local extra=()
	[ "$1" = cold ] && extra=(--rebuild)
	ch-image build "${extra[@]}" -t "$2" -f "$3" "$4"
}

# edit WORKLOAD: new content in the file the workload's edit figure changes.
edit() {
	case $1 in
	b) echo "small file 0000 edited $RANDOM$RANDOM" >"$work/ctx-b/files/0000.txt" ;;
	*) echo "last edited $RANDOM$RANDOM" >"$work/ctx-a/last.txt" ;;
	esac
}

median() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f\n", m }'; }

# timed CMD...: runs CMD and prints "WALL_MS CPU_MS" (CPU: user + system
# of CMD and the processes it waited for).
timed() {
	local TIMEFORMAT='%R %U %S' t rc=0
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || rc=$?
	[ "$rc" = 0 ] || return "$rc"
	awk '{ printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$t"
}

# measure TOOL WORKLOAD FIGURE: the median build time in ms, wall and CPU.
measure() {
	local tool=$1 w=$2 fig=$3 df ctx i t0 log=$work/log
	df=$(ls "$WORKLOADS/$w"-*.Dockerfile)
	ctx=$work/ctx-a
	[ "$w" = b ] && ctx=$work/ctx-b
	install -m 0644 "$df" "$work/$w.Dockerfile"
	peer_df "$df" "$work/$w.Dockerfile.podman"
	# Warm-up: the cache holds the current context.
	"${tool}_build" cached "bench-$w" "$work/$w.Dockerfile" "$ctx" >"$log" 2>&1 ||
		{ echo "build.sh: $tool failed on $w:" >&2; tail -5 "$log" >&2; return 1; }
	local runs=$work/runs
	: >"$runs"
	for ((i = 0; i < N; i++)); do
		[ "$fig" = edit ] && edit "$w"
		local mode=cached
		[ "$fig" = cold ] && mode=cold
		timed "${tool}_build" "$mode" "bench-$w" "$work/$w.Dockerfile" "$ctx" >>"$runs" ||
			{ echo "build.sh: $tool failed on $w ($fig):" >&2
				"${tool}_build" "$mode" "bench-$w" "$work/$w.Dockerfile" "$ctx" 2>&1 | tail -5 >&2; return 1; }
	done
	echo "$(cut -d' ' -f1 "$runs" | median) $(cut -d' ' -f2 "$runs" | median)"
}

declare -A ms
echo "runs: $N each (median, ms: wall / CPU); $(nproc) CPUs; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in "${!status[@]}"; do
	[ "${status[$tool]}" = ok ] || echo "$tool: ${status[$tool]}"
done
printf '%-3s %-9s %13s %13s %13s\n' wl tool cold no-op edit
for w in $ONLY; do
	for tool in "${tools[@]}"; do
		row=()
		for fig in cold noop edit; do
			v=$(measure "$tool" "$w" "$fig") || v="fail fail"
			ms[$tool,$w,$fig]=${v% *}
			row+=("${v/ / / }")
		done
		printf '%-3s %-9s %13s %13s %13s\n' "$w" "$tool" "${row[@]}"
	done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in "${tools[@]}"; do
	[ "$tool" = hull ] && continue
	echo "hull/$tool ratios (wall, lower is faster):"
	for w in $ONLY; do
		line=$(printf '  %s ' "$w")
		for fig in cold noop edit; do
			h=${ms[hull,$w,$fig]} p=${ms[$tool,$w,$fig]}
			if [ "$h" = fail ] || [ "$p" = fail ] || [ "$p" = 0 ]; then
				line+=$(printf ' %s n/a' "$fig")
			else
				line+=$(awk -v h="$h" -v p="$p" -v f="$fig" 'BEGIN { printf " %s %.2f", f, h / p }')
			fi
		done
		echo "$line"
	done
done
