package copier

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hostLayout makes base/ctx (source root), base/a/b/root (destination
// root), base/outside/secret and base/hostdir (an empty canary).
func hostLayout(t *testing.T) (base, ctx, root string) {
	base = t.TempDir()
	ctx = filepath.Join(base, "ctx")
	root = filepath.Join(base, "a/b/root")
	tree(t, base, map[string]string{"outside/secret": "host secret", "hostdir/": "", "a/b/root/": ""})
	tree(t, ctx, map[string]string{
		"f": "F", "etclink": "->/etc", "uplink": "->../../outside",
		"dir/etc": "->/etc", "dir/up": "->../../outside/secret", "dir/ok": "ok",
	})
	return base, ctx, root
}

func wantEmpty(t *testing.T, dir string) {
	t.Helper()
	names, err := os.ReadDir(dir)
	must(t, err)
	if len(names) != 0 {
		t.Fatalf("canary %s was written: %v", dir, names)
	}
}

func TestSourceSymlinksStayInContext(t *testing.T) {
	_, ctx, root := hostLayout(t)
	// Top-level symlinks are followed inside the context: /etc and
	// ../../outside name nothing there.
	for _, src := range []string{"etclink/", "uplink/secret", "etclink/passwd", "../../outside/secret", "/etc/passwd"} {
		err := Copy(ctx, root, Op{Sources: []string{src}, Dest: "/x/"})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("COPY %s: %v, want not found", src, err)
		}
	}
	// With a context /etc, the link resolves to it.
	tree(t, ctx, map[string]string{"etc/passwd": "context passwd"})
	must(t, Copy(ctx, root, Op{Sources: []string{"etclink/"}, Dest: "/x/"}))
	wantFile(t, filepath.Join(root, "x/passwd"), "context passwd")
	// Inside a directory source, symlinks are copied as symlinks.
	must(t, Copy(ctx, root, Op{Sources: []string{"dir"}, Dest: "/d"}))
	if l, _ := os.Readlink(filepath.Join(root, "d/etc")); l != "/etc" {
		t.Fatalf("d/etc -> %q, want the symlink copied", l)
	}
	if l, _ := os.Readlink(filepath.Join(root, "d/up")); l != "../../outside/secret" {
		t.Fatalf("d/up -> %q", l)
	}
	// Hash never reads outside either.
	if _, err := Hash(ctx, Op{Sources: []string{"uplink/secret"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("hash: %v", err)
	}
}

func TestDestSymlinksStayInRoot(t *testing.T) {
	base, ctx, root := hostLayout(t)
	canary := filepath.Join(base, "hostdir")
	must(t, os.Symlink(canary, filepath.Join(root, "app")))             // absolute, dangling in root
	must(t, os.Symlink("../../../hostdir", filepath.Join(root, "rel"))) // relative, climbs out
	must(t, Copy(ctx, root, Op{Sources: []string{"f"}, Dest: "/app/f"}))
	wantFile(t, filepath.Join(root, canary, "f"), "F")
	must(t, Copy(ctx, root, Op{Sources: []string{"f"}, Dest: "/rel/g"}))
	wantFile(t, filepath.Join(root, "hostdir/g"), "F")
	must(t, Copy(ctx, root, Op{Sources: []string{"dir"}, Dest: "/rel/sub/"}))
	must(t, Copy(ctx, root, Op{Sources: []string{"f"}, Dest: "/../../../hostdir/h"}))
	wantFile(t, filepath.Join(root, "hostdir/h"), "F")
	must(t, Copy(ctx, root, Op{Dest: "/app/", Files: []File{{Name: "../../../../hostdir/x", Content: []byte("x")}}}))
	wantFile(t, filepath.Join(root, canary, "hostdir/x"), "x") // the name cannot climb above Dest
	wantEmpty(t, canary)
}

// TestArchiveStaysInDest: an ADDed tar with escaping names and a symlink
// it then writes through stays inside the destination root.
func TestArchiveStaysInDest(t *testing.T) {
	base, ctx, root := hostLayout(t)
	canary := filepath.Join(base, "hostdir")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(t, tw.WriteHeader(&tar.Header{Name: "evil", Typeflag: tar.TypeSymlink, Linkname: canary}))
	writeTarFile(t, tw, "evil/pwned", "x")
	writeTarFile(t, tw, "ok", "ok")
	must(t, tw.Close())
	must(t, os.WriteFile(filepath.Join(ctx, "evil.tar"), buf.Bytes(), 0o644))
	err := Copy(ctx, root, Op{Sources: []string{"evil.tar"}, Dest: "/x", ExtractArchives: true})
	t.Logf("extract: %v", err)
	wantEmpty(t, canary)
}

// TestSwapRace swaps a source directory and a destination directory for
// symlinks to the host while copies run (the CVE-2024-23651/1753 class):
// nothing may be read from or written to the host.
func TestSwapRace(t *testing.T) {
	base, ctx, root := hostLayout(t)
	canary := filepath.Join(base, "hostdir")
	tree(t, ctx, map[string]string{"s/d/passwd": "fake", "s/other": "o"})
	tree(t, root, map[string]string{"out/": ""})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		swap(stop, filepath.Join(ctx, "s/d"), "/etc", filepath.Join(root, "out"), canary)
	}()
	for i := 0; i < 300; i++ {
		_ = Copy(ctx, root, Op{Sources: []string{"s"}, Dest: "/out/"})
		_ = Copy(ctx, root, Op{Sources: []string{"s/d/passwd"}, Dest: "/out/p"})
	}
	close(stop)
	wg.Wait()
	wantEmpty(t, canary)
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && strings.Contains(read(t, p), "root:") {
			t.Errorf("%s holds the host's /etc/passwd", p)
		}
		return nil
	})
}

// swap repeatedly turns each dir into a symlink to its target and back.
func swap(stop chan struct{}, srcDir, srcTarget, dstDir, dstTarget string) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		for _, p := range [][2]string{{srcDir, srcTarget}, {dstDir, dstTarget}} {
			os.Rename(p[0], p[0]+".real")
			os.Symlink(p[1], p[0])
			os.Remove(p[0])
			os.Rename(p[0]+".real", p[0])
		}
	}
}

func writeTarFile(t *testing.T, tw *tar.Writer, name, content string) {
	t.Helper()
	must(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content)), Uid: 7, Gid: 8, ModTime: old}))
	_, err := tw.Write([]byte(content))
	must(t, err)
}
