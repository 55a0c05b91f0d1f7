package test

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// canary is a file outside the store that the test user could overwrite:
// a tarball that escapes its layer directory would change it.
type canary struct {
	dir, path string
}

const canaryText = "original\n"

func newCanary(t *testing.T) canary {
	t.Helper()
	dir := t.TempDir()
	c := canary{dir: dir, path: filepath.Join(dir, "canary")}
	if err := os.WriteFile(c.path, []byte(canaryText), 0o666); err != nil {
		t.Fatal(err)
	}
	return c
}

// up is a relative path from any layer directory to the canary's directory.
func (c canary) up() string {
	return strings.Repeat("../", 40) + strings.TrimPrefix(c.dir, "/")
}

// check fails t unless the canary is exactly as created and nothing else
// appeared next to it.
func (c canary) check(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(c.path)
	if err != nil || string(b) != canaryText {
		t.Errorf("canary %s: %q, %v; want it untouched", c.path, b, err)
	}
	if st, err := os.Stat(c.path); err == nil && st.Sys().(*syscall.Stat_t).Nlink != 1 {
		t.Errorf("canary has %d links: the store hard-linked a host file", st.Sys().(*syscall.Stat_t).Nlink)
	}
	ents, _ := os.ReadDir(c.dir)
	if len(ents) != 1 {
		names := []string{}
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("canary dir holds %v, want only canary", names)
	}
}

func TestImportMaliciousTarballs(t *testing.T) {
	t.Parallel()
	pwned := []byte("pwned\n")
	cases := []struct {
		name    string
		entries func(c canary) []tarEntry
	}{
		{"dotdot name", func(c canary) []tarEntry {
			return []tarEntry{{Name: c.up() + "/canary", Body: pwned}, {Name: "../canary", Body: pwned}}
		}},
		{"absolute name", func(c canary) []tarEntry {
			return []tarEntry{{Name: c.path, Body: pwned}}
		}},
		{"absolute symlink parent", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "evil", Type: tar.TypeSymlink, Linkname: c.dir},
				{Name: "evil/canary", Body: pwned},
				{Name: "evil/new", Body: pwned},
			}
		}},
		{"relative symlink parent", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "a/", Type: tar.TypeDir},
				{Name: "a/evil", Type: tar.TypeSymlink, Linkname: c.up()},
				{Name: "a/evil/canary", Body: pwned},
			}
		}},
		{"file over symlink", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "link", Type: tar.TypeSymlink, Linkname: c.path},
				{Name: "link", Body: pwned},
			}
		}},
		{"absolute hardlink", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "hl", Type: tar.TypeLink, Linkname: c.path},
				{Name: "hl", Body: pwned},
			}
		}},
		{"dotdot hardlink", func(c canary) []tarEntry {
			return []tarEntry{{Name: "hl", Type: tar.TypeLink, Linkname: c.up() + "/canary"}}
		}},
		{"hardlink through symlink", func(c canary) []tarEntry {
			return []tarEntry{
				{Name: "d", Type: tar.TypeSymlink, Linkname: c.dir},
				{Name: "hl", Type: tar.TypeLink, Linkname: "d/canary"},
			}
		}},
	}
	s := withBusybox(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCanary(t)
			tarball := makeTar(t, tc.entries(c)...)
			_, errs, code := s.hull(t, "import", tarball, fmt.Sprintf("evil%d", i))
			if code != 0 {
				oneLineError(t, errs)
			}
			c.check(t)
			if _, _, code := s.hull(t, "images"); code != 0 {
				t.Errorf("images fails after importing a malicious tarball")
			}
		})
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "echo", "ok"); out != "ok\n" {
		t.Errorf("store broken after malicious imports: run printed %q", out)
	}
}

func TestImportCorrupt(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 64<<10)
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"truncated": truncated(t, busyboxTar, st.Size()/2),
		"garbage":   writeFile(t, "garbage.tar", garbage),
		"bad gzip":  writeFile(t, "bad.tar.gz", append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, garbage...)),
		"missing":   filepath.Join(t.TempDir(), "no-such.tar"),
	}
	s := withBusybox(t)
	before := s.mustHull(t, "images", "-q")
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			_, errs, code := s.hull(t, "import", path, "broken")
			if code == 0 {
				t.Fatalf("import of a %s tarball succeeded", name)
			}
			oneLineError(t, errs)
			if after := s.mustHull(t, "images", "-q"); after != before {
				t.Errorf("images -q changed by a failed import: %q -> %q", before, after)
			}
			checkNoTemp(t, s.root)
		})
	}
	s.mustHull(t, "import", busyboxTar, "again")
	if out := s.mustHull(t, "run", "--rm", "again", "echo", "ok"); out != "ok\n" {
		t.Errorf("run after failed imports printed %q", out)
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkNoTemp fails t if a failed operation left temporary entries (".tmp-")
// in the store.
func checkNoTemp(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp") {
			t.Errorf("left behind: %s", p)
		}
		if d.IsDir() && strings.Count(strings.TrimPrefix(p, root), "/") >= 3 {
			return fs.SkipDir // the store's top levels are where temps live
		}
		return nil
	})
}

// Imports, runs and an rmi racing on one store all succeed and leave it
// consistent.
func TestConcurrentStoreUse(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "victim")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, errs, code := s.hull(t, "import", busyboxTar, fmt.Sprintf("img%d", i)); code != 0 {
				t.Errorf("concurrent import %d: exit %d: %s", i, code, errs)
			}
		})
		wg.Go(func() {
			want := fmt.Sprintf("run%d\n", i)
			if out, errs, code := s.hull(t, "run", "--rm", "busybox", "echo", strings.TrimSpace(want)); code != 0 || out != want {
				t.Errorf("concurrent run %d: exit %d, stdout %q: %s", i, code, out, errs)
			}
		})
	}
	wg.Go(func() {
		if _, errs, code := s.hull(t, "rmi", "victim"); code != 0 {
			t.Errorf("concurrent rmi: exit %d: %s", code, errs)
		}
	})
	wg.Wait()
	images := s.mustHull(t, "images")
	for _, name := range []string{"busybox", "img0", "img1", "img2", "img3"} {
		if !hasRow(images, name, "latest") {
			t.Errorf("images lacks %s after concurrent use:\n%s", name, images)
		}
	}
	if hasRow(images, "victim", "latest") {
		t.Errorf("images still lists victim after rmi:\n%s", images)
	}
	if ps := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(ps) != "" {
		t.Errorf("ps -a -q after concurrent run --rm: %q", ps)
	}
}

// An import killed at random points (SIGKILL, the whole process group)
// leaves a store that still works, and a later import of the same tarball
// yields the complete image, not a half-unpacked layer.
func TestImportSurvivesKill(t *testing.T) {
	t.Parallel()
	const files, size = 3000, 16 << 10
	bigTar := makeBigTar(t, files, size)

	// How long an uninterrupted import takes, to aim the kills inside it.
	start := time.Now()
	newStore(t).mustHull(t, "import", bigTar, "big")
	full := time.Since(start)
	t.Logf("uninterrupted import: %v", full)

	s := withBusybox(t)
	for i := range 6 {
		killImportAfter(t, s, bigTar, randDuration(full))
		if _, errs, code := s.hull(t, "images"); code != 0 {
			t.Fatalf("images after kill %d: exit %d: %s", i, code, errs)
		}
	}
	s.mustHull(t, "import", bigTar, "big")
	script := fmt.Sprintf("ls /data | wc -l; cat /data/f%d | sha256sum", files-1)
	out := s.mustHull(t, "run", "--rm", "big", "sh", "-c", script)
	want := fmt.Sprintf("%d\n%x  -\n", files, sha256.Sum256(bigBody(files-1, size)))
	if strings.Join(strings.Fields(out), " ") != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("image after interrupted imports: got %q, want %q", out, want)
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "echo", "ok"); out != "ok\n" {
		t.Fatalf("busybox after interrupted imports printed %q", out)
	}
}

func killImportAfter(t *testing.T, s *store, tarball string, d time.Duration) {
	t.Helper()
	cmd := s.command(context.Background(), "import", tarball, "big")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	err := cmd.Wait()
	t.Logf("import killed after %v: %v", d, err)
}

// randDuration is uniform in [0, max).
func randDuration(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(max)))
	if err != nil {
		return max / 2
	}
	return time.Duration(n.Int64())
}
