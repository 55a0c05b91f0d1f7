package copier

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tree creates files under dir from spec: "name" → content; a trailing "/"
// in the name makes a directory; content "->target" makes a symlink.
func tree(t *testing.T, dir string, spec map[string]string) {
	t.Helper()
	for name, content := range spec {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			must(t, os.MkdirAll(p, 0o755))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if target, ok := strings.CutPrefix(content, "->"); ok {
			must(t, os.Symlink(target, p))
			continue
		}
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func roots(t *testing.T, src map[string]string) (string, string) {
	t.Helper()
	s, d := t.TempDir(), t.TempDir()
	tree(t, s, src)
	return s, d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantFile(t *testing.T, p, content string) {
	t.Helper()
	if got := read(t, p); got != content {
		t.Fatalf("%s = %q, want %q", p, got, content)
	}
}

func wantMissing(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("%s exists (err %v), want it missing", p, err)
	}
}

func ptr[T any](v T) *T { return &v }

var old = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
