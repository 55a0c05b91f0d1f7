#!/bin/bash
# mkdebian.sh OUT.tar builds a minimal Debian root filesystem tarball
# (debootstrap --variant=minbase) for the integration tests that run apt
# inside a build (test/rootemu_test.go): there is no Docker Hub to pull
# debian:bookworm from, but the configured Debian mirror is reachable.
# OUT is kept when it exists: the tarball is a cache (make debian-image).
# Needs root and debootstrap.
set -euo pipefail

out=${1:?usage: mkdebian.sh OUT.tar}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}

if [ -s "$out" ]; then
	echo "mkdebian.sh: $out exists"
	exit 0
fi
if ! command -v debootstrap >/dev/null; then
	echo "mkdebian.sh: debootstrap not found; apt-get install debootstrap" >&2
	exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/hull-debian.XXXXXX")
trap 'rm -rf "$root" "$out.tmp"' EXIT
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -20 "$root.log" >&2
	rm -f "$root.log"
	exit 1
}
rm -f "$root.log"
# What a docker image of Debian leaves out: the package lists and the
# downloaded packages (apt-get update in the build fetches the lists).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
tar --numeric-owner --xattrs -C "$root" -cf "$out.tmp" .
chmod 0644 "$out.tmp"
mv "$out.tmp" "$out"
echo "mkdebian.sh: wrote $out ($(du -h "$out" | cut -f1))"
