package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestResolveUserInRoot(t *testing.T) {
	host := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(host, []byte("canary:x:4242:4242::/host:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	link := func(target string) {
		t.Helper()
		_ = os.Remove(filepath.Join(etc, "passwd"))
		if err := os.Symlink(target, filepath.Join(etc, "passwd")); err != nil {
			t.Fatal(err)
		}
	}
	for _, target := range []string{host, strings.Repeat("../", 10) + host[1:]} {
		link(target)
		if u, err := ResolveUserInRoot("canary", root); err == nil || u.UID == 4242 {
			t.Errorf("/etc/passwd -> %s: %+v, %v; want an unknown user (the host file is not the container's)", target, u, err)
		}
	}
	if err := os.WriteFile(filepath.Join(etc, "passwd.real"), []byte("canary:x:777:778::/in:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link("/etc/passwd.real")
	if u, err := ResolveUserInRoot("canary", root); err != nil || u.UID != 777 || u.GID != 778 || u.Home != "/in" {
		t.Errorf("/etc/passwd -> /etc/passwd.real inside the root: %+v, %v", u, err)
	}
	// A FIFO is not read (it would block): the file counts as absent.
	_ = os.Remove(filepath.Join(etc, "passwd"))
	if err := unix.Mkfifo(filepath.Join(etc, "passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUserInRoot("canary", root); err == nil {
		t.Error("a FIFO /etc/passwd resolved canary")
	}
	if u, err := ResolveUserInRoot("0", root); err != nil || u.UID != 0 {
		t.Errorf("uid 0 without a passwd file: %+v, %v", u, err)
	}
}
