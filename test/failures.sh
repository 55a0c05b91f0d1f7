#!/bin/bash
# failures.sh LOG: a short account of the failed tests of a `go test -v`
# log, for the end of the output. CI shows only the last lines of a run,
# while -v prints a failure where the test ended, hundreds of lines above;
# this repeats each failed test's name and its first error lines (those
# that name a _test.go line) below everything else. Prints nothing when
# nothing failed.
set -euo pipefail

log=$1
[ -f "$log" ] || exit 0

awk '
function leaf(name) { return !(name in parent) }
/^=== (RUN|CONT|NAME|PAUSE) / { cur = $3; next }
/^ *--- (FAIL|PASS|SKIP): / {
	name = $3
	if ($2 == "FAIL:") { if (!(name in failed)) order[n++] = name; failed[name] = 1 }
	# a subtest name marks its parents, whose own failure only repeats it
	p = name; while (sub(/\/[^\/]*$/, "", p)) parent[p] = 1
	cur = name; next
}
/^(panic: |fatal error: )/ { panicked = panicked $0 "\n"; inpanic = 12; next }
inpanic > 0 { panicked = panicked $0 "\n"; inpanic--; next }
/_test\.go:[0-9]+:/ && cur != "" {
	s = $0; sub(/^ +/, "", s)
	if (length(s) > 240) s = substr(s, 1, 240) "..."
	# the harness logs every hull command as "hull ... -> code": keep the
	# two of those before the first other line, and the first four others
	if (s ~ / -> -?[0-9]+$/) { if (nerr[cur] == 0) { cmd2[cur] = cmd1[cur]; cmd1[cur] = s } }
	else if (nerr[cur] < 4) { errs[cur] = errs[cur] "    " s "\n"; nerr[cur]++ }
}
END {
	if (n == 0 && panicked == "") exit
	print "=== failures (repeated from above) ==="
	if (panicked != "") printf "%s", panicked
	shown = 0
	for (i = 0; i < n; i++) {
		name = order[i]
		if (!leaf(name)) continue
		if (++shown > 5) { more++; continue }
		print "--- FAIL: " name
		if (cmd2[name] != "") print "    " cmd2[name]
		if (cmd1[name] != "") print "    " cmd1[name]
		printf "%s", errs[name]
	}
	if (more) print "... and " more " more failed tests (grep -- \"--- FAIL\" in the full output)"
}' "$log"
