#!/bin/bash
# init.sh: what hull pays before main. Prints the package-init totals from
# GODEBUG=inittrace=1 (clock ms, bytes, allocs; the allocation counts do not
# move with machine load, the clock does), the packages that cost most, hull's
# own packages that still do work at init, and the CPU time (user+sys, from
# getrusage of the children: load does not inflate it much) per run of
# `hull version` and `hull ps` beside `runc --version` in the same run.
#
#   HULL_BIN=bin/hull bench/init.sh [N]      (N runs each, default 50)
#
# No root needed: `hull ps` runs against an empty store of its own.
set -euo pipefail

N=${1:-${N:-50}}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=$(readlink -f "${HULL_BIN:-$here/../bin/hull}")
[ -x "$HULL_BIN" ] || { echo "init.sh: $HULL_BIN not found (make build)" >&2; exit 1; }
work=$(mktemp -d /tmp/hull-bench-init.XXXXXX)
trap 'rm -rf "$work"' EXIT

# inittrace CMD...: one line per package: "ms bytes allocs name".
inittrace() {
	GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null | awk '$1 == "init" { print $5, $8, $10, $2 }'
}
echo "== package init of 'hull version' (GODEBUG=inittrace=1; median of 5 runs for the clock)"
for i in 1 2 3 4 5; do inittrace "$HULL_BIN" version >"$work/trace.$i"; done
for i in 1 2 3 4 5; do awk '{ ms += $1 } END { print ms }' "$work/trace.$i"; done | sort -n | sed -n 3p >"$work/ms"
awk -v ms="$(cat "$work/ms")" '{ b += $2; a += $3; n++ }
	END { printf "packages %d   clock %.2f ms   %.0f KiB   %d allocs\n", n, ms, b / 1024, a }' "$work/trace.1"
echo "-- most allocations (allocs bytes package):"
sort -k3 -n -r "$work/trace.1" | awk 'NR <= 12 { printf "  %6d %8d  %s\n", $3, $2, $4 }'
echo "-- hull's own packages with init work (allocs bytes package):"
awk '$4 ~ /hull-project\/hull/ && $3 > 0 { printf "  %6d %8d  %s\n", $3, $2, $4 }' "$work/trace.1"

# cpu_ms CMD...: mean user+sys ms per run over N runs (bash's times).
cpu_ms() {
	local i
	bash -c 'for ((i = 0; i < '"$N"'; i++)); do "$@" >/dev/null 2>&1; done; times' _ "$@" | tail -1 |
		awk -v n="$N" '{ split($1, u, /m|s/); split($2, s, /m|s/)
			printf "%.2f\n", ((u[1] * 60 + u[2]) + (s[1] * 60 + s[2])) * 1000 / n }'
}
# wall_ms CMD...: median wall ms over N runs.
wall_ms() {
	local i t0 t1
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] / 1000 }'
}

echo "== CPU per run (user+sys, mean of $N) and wall (median); load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %9s %9s\n' command cpu_ms wall_ms
row() { printf '%-28s %9s %9s\n' "$1" "$(cpu_ms "${@:2}")" "$(wall_ms "${@:2}")"; }
row "hull version" "$HULL_BIN" version
row "hull ps" "$HULL_BIN" --root "$work/store" ps
if command -v runc >/dev/null; then
	row "runc --version" runc --version
else
	echo "runc: not installed (apt-get install runc), no peer figure"
fi
# The floor of any Go command: a static Go program that links only os and
# exits (built here when a Go toolchain is at hand): runtime start, sysmon
# and the exec and exit of a small binary, no package init to speak of.
if command -v go >/dev/null; then
	mkdir -p "$work/empty"
	printf 'package main\n\nimport "os"\n\nfunc main() { os.Exit(0) }\n' >"$work/empty/main.go"
	printf 'module empty\n' >"$work/empty/go.mod"
	if (cd "$work/empty" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o empty . 2>/dev/null); then
		row "empty Go program (floor)" "$work/empty/empty"
	fi
fi
