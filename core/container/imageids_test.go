package container

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImageIDs(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	write := func(dir, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(lower, "passwd", "root:x:0:0::/root:/bin/sh\n")
	write(lower, "group", "root:x:0:\n")
	write(upper, "passwd", "root:x:0:0::/root:/bin/sh\napp:x:1001:1001::/home/app:/bin/sh\n")
	users, groups, err := ImageIDs([]string{upper, lower})
	if err != nil || len(users) != 2 || users["app"] != 1001 || len(groups) != 1 || groups["root"] != 0 {
		t.Errorf("ImageIDs: users %v groups %v err %v", users, groups, err)
	}
	// A symlink is never followed out of its layer.
	if err := os.Remove(filepath.Join(upper, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(upper, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	users, _, err = ImageIDs([]string{upper, lower})
	if err != nil || len(users) != 0 {
		t.Errorf("through a symlink: users %v err %v, want none", users, err)
	}
}
