package copier

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFileStaysInRoot(t *testing.T) {
	base := t.TempDir()
	canary := filepath.Join(base, "canary")
	ctx := filepath.Join(base, "a", "ctx")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(ctx, "sub"), 0o755))
	must(os.WriteFile(canary, []byte("host secret"), 0o644))
	must(os.WriteFile(filepath.Join(ctx, "sub", "real"), []byte("FROM inside"), 0o644))
	for name, target := range map[string]string{
		"abs": canary, "rel": "../../canary", "dirlink": base, "inside": "sub/real", "insideabs": "/sub/real",
	} {
		must(os.Symlink(target, filepath.Join(ctx, name)))
	}
	must(syscall.Mkfifo(filepath.Join(ctx, "fifo"), 0o644))
	must(os.WriteFile(filepath.Join(ctx, "big"), make([]byte, 100), 0o644))

	for _, rel := range []string{"abs", "rel", "dirlink/canary", "../canary", "../../canary"} {
		data, err := ReadFile(ctx, rel, 1<<20)
		if err == nil || strings.Contains(string(data)+err.Error(), "host secret") {
			t.Errorf("ReadFile(%s) = %q, %v; want a refusal", rel, data, err)
		}
	}
	if _, err := ReadFile(ctx, "abs", 1<<20); !errors.Is(err, ErrLinkOutside) {
		t.Errorf("ReadFile(abs): %v, want ErrLinkOutside", err)
	}
	for _, rel := range []string{"inside", "insideabs", "sub/real", "/sub/real"} {
		if data, err := ReadFile(ctx, rel, 1<<20); err != nil || string(data) != "FROM inside" {
			t.Errorf("ReadFile(%s) = %q, %v; want the in-context file", rel, data, err)
		}
	}
	// ".." from a symlink is clamped at the root: with a file of that
	// name in the context, that file is what is read.
	must(os.WriteFile(filepath.Join(ctx, "canary"), []byte("context copy"), 0o644))
	if data, err := ReadFile(ctx, "rel", 1<<20); err != nil || string(data) != "context copy" {
		t.Errorf("ReadFile(rel -> ../../canary) = %q, %v; want the context's canary", data, err)
	}
	if _, err := ReadFile(ctx, "missing", 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing): %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadFile(ctx, "fifo", 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("ReadFile(fifo): %v, want a refusal", err)
	}
	if _, err := ReadFile(ctx, "big", 99); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadFile(big) with a 99-byte limit: %v", err)
	}
}
