#!/bin/bash
# mkbusybox.sh OUT builds a minimal busybox root filesystem without any
# network: the host's static busybox (Debian's busybox-static) as /bin/busybox,
# one symlink per applet, /etc/passwd and /etc/group with root, nobody and
# user1 (1000). OUT ending in .tar gets a tarball (owned by root inside),
# anything else a directory.
#
# The Go integration tests build the same image in code (test/fixtures_test.go);
# this script serves `make demo` and bench/run-start.sh.
set -euo pipefail

out=${1:?usage: mkbusybox.sh OUT.tar|OUTDIR}
bb=${BUSYBOX:-/bin/busybox}

if [ ! -x "$bb" ]; then
	echo "mkbusybox.sh: $bb not found; install busybox-static (apt-get install busybox-static)" >&2
	exit 1
fi
# A dynamically linked busybox would need the host's libc inside the image.
if ldd "$bb" >/dev/null 2>&1; then
	echo "mkbusybox.sh: $bb is dynamically linked; install busybox-static" >&2
	exit 1
fi

case $out in
*.tar)
	root=$(mktemp -d "${TMPDIR:-/tmp}/hull-rootfs.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	chmod 0755 "$root"
	;;
*)
	root=$out
	mkdir -p "$root"
	;;
esac

mkdir -p "$root"/{bin,etc,root,home/user1,proc,sys,dev,tmp,var,mnt}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
install -m 0755 "$bb" "$root/bin/busybox"
# Never a symlink named busybox: it would replace the binary itself.
for applet in $("$bb" --list); do
	case $applet in busybox | */* | .* | "") continue ;; esac
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	'user1:x:1000:1000::/home/user1:/bin/sh' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'user1:x:1000:' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

case $out in
*.tar)
	if [ "$(id -u)" = 0 ]; then
		chown -R 0:0 "$root"
		chown 1000:1000 "$root/home/user1"
		owner=()
	else
		owner=(--owner=0 --group=0)
	fi
	tar -C "$root" --numeric-owner "${owner[@]}" --sort=name -cf "$out" .
	echo "mkbusybox.sh: wrote $out" >&2
	;;
*)
	echo "mkbusybox.sh: built rootfs in $out" >&2
	;;
esac
