package child

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

func TestLowerDirs(t *testing.T) {
	dir, list := lowerDirs([]string{"/s/layers/bbb", "/s/layers/aaa"})
	if dir != "/s/layers" || list != "bbb:aaa" {
		t.Errorf("shared parent: got %q %q", dir, list)
	}
	dir, list = lowerDirs([]string{"/s/layers/bbb", "/t/aaa"})
	if dir != "" || list != "/s/layers/bbb:/t/aaa" {
		t.Errorf("mixed parents: got %q %q", dir, list)
	}
}

// TestInRootStaysInside checks that mount targets are resolved inside the
// root even through symlinks the image planted, and that missing parts are
// created there.
func TestInRootStaysInside(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside", filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	// A symlink whose target exists inside the root is followed there.
	if err := os.Mkdir(filepath.Join(root, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/inside", filepath.Join(root, "in")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/abs/x", "/rel/y", "/../../outside/z", "/etc/hosts", "/in/w"} {
		f, err := inRoot(root, p, true)
		if err != nil {
			// Refusing a symlink that dangles inside the root is fine;
			// escaping it is not.
			t.Logf("inRoot(%s): %v", p, err)
			continue
		}
		target, err := os.Readlink(fdPath(f))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(target, root+"/") {
			t.Errorf("inRoot(%s) resolved to %s, outside %s", p, target, root)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "inside", "w")); err != nil {
		t.Errorf("/in/w was not created through the in-root symlink: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("something was created outside the root: %v", entries)
	}
}

// TestCopyLayers checks the copy driver: layers applied bottom-up, with
// overlay whiteouts deleting and opaque directories hiding lower content.
func TestCopyLayers(t *testing.T) {
	base := t.TempDir()
	lower, upper, dst := filepath.Join(base, "lower"), filepath.Join(base, "upper"), filepath.Join(base, "dst")
	for _, d := range []string{lower + "/d", upper + "/d", dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(lower+"/a", "gone")
	write(lower+"/keep", "kept")
	write(lower+"/d/old", "hidden")
	write(upper+"/d/new", "new")
	if err := os.Symlink("keep", upper+"/link"); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(upper+"/a", unix.S_IFCHR, 0); err != nil {
		t.Skipf("cannot make a whiteout here: %v", err)
	}
	if err := unix.Setxattr(upper+"/d", "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	for _, l := range []string{lower, upper} {
		if err := copyLayer(l, dst); err != nil {
			t.Fatalf("copy %s: %v", l, err)
		}
	}
	if _, err := os.Lstat(dst + "/a"); !os.IsNotExist(err) {
		t.Errorf("whited-out file survived: %v", err)
	}
	if _, err := os.Lstat(dst + "/d/old"); !os.IsNotExist(err) {
		t.Errorf("file under an opaque dir survived: %v", err)
	}
	for p, want := range map[string]string{"/keep": "kept", "/d/new": "new", "/link": "kept"} {
		if b, err := os.ReadFile(dst + p); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
}

// TestInRootDanglingLinks checks that a symlink whose target is missing is
// followed inside the root and its target created there, never outside,
// and that a symlink loop is an error, not a hang.
func TestInRootDanglingLinks(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":   outside + "/made",
		"rel":   "../../../outside/made-rel",
		"file":  outside + "/f",
		"loop1": "loop2", "loop2": "/loop1",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{"/abs": outside + "/made", "/rel/sub": "outside/made-rel/sub"} {
		f, err := inRoot(root, path, false)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		f.Close()
		if st, err := os.Lstat(filepath.Join(root, want)); err != nil || !st.IsDir() {
			t.Errorf("%s: %s not created inside the root: %v", path, want, err)
		}
	}
	f, err := inRoot(root, "/file", true)
	if err != nil {
		t.Fatalf("/file: %v", err)
	}
	f.Close()
	if st, err := os.Lstat(filepath.Join(root, strings.TrimPrefix(outside, "/"), "f")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("/file: target not created as a file inside the root: %v", err)
	}
	if _, err := inRoot(root, "/loop1/x", false); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("symlink loop: got %v, want ELOOP", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("inRoot created %d entries outside the root", len(entries))
	}
}

// fuse-overlayfs gets layers it can open from its own working directory:
// absolute paths while they fit in one argument, else names relative to
// the directory the command starts in.
func TestFuseOverlayCommand(t *testing.T) {
	for _, n := range []int{1, 3, 200, 2000} {
		base := t.TempDir()
		layers := make([]string, n)
		for i := range layers {
			layers[i] = filepath.Join(base, "layers", strings.Repeat("0", 56)+fmt.Sprintf("%08d", i))
		}
		r := isolation.Rootfs{Layers: layers, UpperDir: base + "/upper", WorkDir: base + "/work", MountDir: base + "/rootfs"}
		cmd, err := fuseOverlayCommand("/usr/bin/fuse-overlayfs", r)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmd.Args) != 4 || cmd.Args[1] != "-o" || cmd.Args[3] != r.MountDir {
			t.Fatalf("%d layers: args %q", n, cmd.Args)
		}
		opts := cmd.Args[2]
		if len(opts) >= maxArgLen {
			t.Errorf("%d layers: option argument of %d bytes, over the kernel's %d", n, len(opts), maxArgLen)
		}
		lower, _, _ := strings.Cut(strings.TrimPrefix(opts, "lowerdir="), ",")
		got := strings.Split(lower, ":")
		if len(got) != n {
			t.Fatalf("%d layers: lowerdir names %d", n, len(got))
		}
		for i, l := range got {
			if !filepath.IsAbs(l) {
				if cmd.Dir == "" {
					t.Fatalf("%d layers: relative lowerdir %q without a working directory", n, l)
				}
				l = filepath.Join(cmd.Dir, l)
			}
			if l != layers[i] {
				t.Fatalf("%d layers: lowerdir %d resolves to %s, want %s", n, i, l, layers[i])
			}
		}
		if !strings.Contains(opts, ",upperdir="+r.UpperDir+",workdir="+r.WorkDir) {
			t.Errorf("%d layers: options %q lack the upper and work dirs", n, opts[len(opts)-100:])
		}
	}
}
