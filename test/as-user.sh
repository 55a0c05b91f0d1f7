#!/bin/bash
# go test -exec wrapper: runs the compiled integration test binary ($1) as the
# unprivileged user $HULL_USER (default hulltest) when invoked as root.
#
# go test builds the binary in a 0700 root-owned directory and may run it from
# a checkout under /root, neither of which that user can read, so the binary
# is copied to a fresh world-readable directory and run from there with a
# clean environment. Only HULL_* and CI variables are passed through.
set -euo pipefail

bin=$1
shift

if [ "$(id -u)" != 0 ]; then
	exec "$bin" "$@"
fi

user=${HULL_USER:-hulltest}
home=${HULL_HOME:-/home/$user}
if ! id -u "$user" >/dev/null 2>&1; then
	echo "as-user.sh: user $user does not exist; run 'make setup' as root" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/hull-itest-bin.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 0755 "$dir"
install -m 0755 "$bin" "$dir/test.bin"
cd "$dir"

envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 TMPDIR=/tmp)
while IFS= read -r kv; do
	envs+=("$kv")
done < <(env | grep -E '^(HULL_[A-Z_]*|CI|GOTRACEBACK)=' || true)

# Not exec: the trap removes the copy afterwards.
runuser -u "$user" -- env -i "${envs[@]}" "$dir/test.bin" "$@"
