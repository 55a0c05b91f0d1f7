package layer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// escapeCase is a malicious layer built against a sandbox; wantErr is a
// substring the error must hold ("" means it must succeed, contained).
type escapeCase struct {
	name    string
	items   func(s *sandbox) []item
	wantErr string
	verify  func(t *testing.T, s *sandbox)
}

func escapeCases() []escapeCase {
	return []escapeCase{
		{name: "dotdot", wantErr: "unpack ../canary: \"../canary\": path escapes",
			items: func(s *sandbox) []item { return []item{fileItem("../canary", "pwned", 0o644)} }},
		{name: "dotdot inside", wantErr: "path escapes",
			items: func(s *sandbox) []item { return []item{fileItem("a/../../canary", "pwned", 0o644)} }},
		{name: "absolute",
			items: func(s *sandbox) []item { return []item{fileItem(s.canary, "contained", 0o644)} },
			verify: func(t *testing.T, s *sandbox) {
				if got := readFile(t, filepath.Join(s.target, s.canary)); got != "contained" {
					t.Errorf("absolute entry not contained: %q", got)
				}
			}},
		{name: "symlink parent absolute", wantErr: "dangling symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("evil", s.parent), fileItem("evil/canary", "pwned", 0o644)}
			}},
		{name: "symlink parent tmp", wantErr: "dangling symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("evil", "/tmp/outside"), fileItem("evil/file", "pwned", 0o644)}
			}},
		{name: "symlink parent dotdot",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("evil", "../../.."), fileItem("evil/x", "contained", 0o644), fileItem("evil/canary", "contained", 0o644)}
			},
			verify: func(t *testing.T, s *sandbox) {
				// "../../.." is clamped at the root, so both land in it.
				if got := readFile(t, filepath.Join(s.target, "canary")); got != "contained" {
					t.Errorf("root/canary = %q", got)
				}
			}},
		{name: "symlink chain", wantErr: "",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("a", "/"), symlinkItem("b", "a/.."), symlinkItem("c", "b/../.."), fileItem("c/canary", "contained", 0o644)}
			}},
		{name: "hardlink etc passwd", wantErr: "no such file",
			items: func(s *sandbox) []item { return []item{linkItem("pw", "/etc/passwd")} }},
		{name: "hardlink absolute canary", wantErr: "no such file",
			items: func(s *sandbox) []item { return []item{linkItem("c", s.canary)} }},
		{name: "hardlink dotdot", wantErr: "path escapes",
			items: func(s *sandbox) []item { return []item{linkItem("c", "../canary")} }},
		{name: "hardlink through symlinked dir", wantErr: "no such file",
			items: func(s *sandbox) []item { return []item{symlinkItem("up", s.parent), linkItem("c", "up/canary")} }},
		{name: "hardlink to outside symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("s", s.canary), linkItem("h", "s"), symlinkItem("s2", "../canary"), linkItem("h2", "s2")}
			},
			verify: func(t *testing.T, s *sandbox) {
				for _, n := range []string{"h", "h2"} {
					if fi, _ := lstat(t, filepath.Join(s.target, n)); fi.Mode()&os.ModeSymlink == 0 {
						t.Errorf("%s is %v, want a symlink", n, fi.Mode())
					}
				}
			}},
		{name: "write through last symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("f", s.canary), fileItem("f", "pwned", 0o644), symlinkItem("g", "../canary"), fileItem("g", "pwned", 0o644)}
			},
			verify: func(t *testing.T, s *sandbox) {
				if fi, _ := lstat(t, filepath.Join(s.target, "f")); !fi.Mode().IsRegular() {
					t.Errorf("f is %v, want a regular file", fi.Mode())
				}
			}},
		{name: "dir over outside symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("d", s.parent), dirItem("d/", 0o700), fileItem("d/canary", "contained", 0o644)}
			}},
		{name: "whiteout through symlink",
			items: func(s *sandbox) []item {
				return []item{symlinkItem("d", "/.."), fileItem("d/.wh.canary", "", 0o644), symlinkItem("e", "../.."), fileItem("e/.wh..wh..opq", "", 0o644)}
			}},
		{name: "whiteout dotdot", wantErr: "whiteout of",
			items: func(s *sandbox) []item { return []item{fileItem("a/.wh...", "", 0o644)} }},
		{name: "devices skipped",
			items: func(s *sandbox) []item {
				return []item{devItem("dev/null", '3', 1, 3), devItem("dev/sda", '4', 8, 0), devItem("dev/wh", '3', 0, 0)}
			},
			verify: func(t *testing.T, s *sandbox) {
				for _, n := range []string{"dev/null", "dev/sda", "dev/wh"} {
					if _, err := os.Lstat(filepath.Join(s.target, n)); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s exists (err %v), want skipped", n, err)
					}
				}
			}},
	}
}

func TestUnpackEscapes(t *testing.T) {
	for _, c := range escapeCases() {
		for _, apply := range []bool{false, true} {
			name := c.name
			if apply {
				name += "/apply"
			}
			t.Run(name, func(t *testing.T) {
				s := newSandbox(t)
				_, canaryBefore := lstat(t, s.canary)
				err := Unpack(bytes.NewReader(tarOf(t, c.items(s)...)), s.target, Options{ApplyWhiteouts: apply})
				switch {
				case c.wantErr == "" && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				s.check(t)
				if _, st := lstat(t, s.canary); st.Nlink != canaryBefore.Nlink || st.Ino != canaryBefore.Ino {
					t.Fatalf("canary links %d -> %d", canaryBefore.Nlink, st.Nlink)
				}
				if _, err := os.Lstat("/tmp/outside"); err == nil {
					t.Fatal("/tmp/outside was created")
				}
				if c.verify != nil {
					c.verify(t, s)
				}
			})
		}
	}
}

// TestMknodWhiteoutUnprivileged checks the kernel lets a user without
// CAP_MKNOD create the 0/0 whiteout device, which the default mode relies on.
func TestMknodWhiteoutUnprivileged(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: the unprivileged path is exercised by TestUnpackUserns")
	}
	dir := t.TempDir()
	if err := unix.Mknod(filepath.Join(dir, "wh"), unix.S_IFCHR, 0); err != nil {
		t.Fatalf("mknod 0/0: %v", err)
	}
}
