package core

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPrivateRunDir(t *testing.T) {
	uid := os.Getuid()
	shared := func(tmp string) string { return filepath.Join(tmp, "hull-run-"+itoa(uid)) }
	check := func(t *testing.T, dir string) {
		t.Helper()
		if err := ownDir(dir, uid); err != nil {
			t.Errorf("runtime dir %s: %v", dir, err)
		}
	}

	t.Run("free: made in tmp", func(t *testing.T) {
		tmp, cache := t.TempDir(), t.TempDir()
		dir, err := privateRunDir(tmp, cache, uid, "b1")
		if err != nil || dir != shared(tmp) {
			t.Fatalf("got %q, %v; want %s", dir, err, shared(tmp))
		}
		check(t, dir)
		if again, err := privateRunDir(tmp, cache, uid, "b1"); err != nil || again != dir {
			t.Errorf("second call: %q, %v", again, err)
		}
	})

	claims := map[string]func(t *testing.T, p string){
		"a symlink to a dir of ours": func(t *testing.T, p string) {
			if err := os.Symlink(t.TempDir(), p); err != nil {
				t.Fatal(err)
			}
		},
		"a dir others may write": func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o777); err != nil {
				t.Fatal(err)
			}
		},
		"a file": func(t *testing.T, p string) {
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	if uid == 0 {
		claims["another user's dir"] = func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, 4321, 4321); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, claim := range claims {
		t.Run("claimed: "+name, func(t *testing.T) {
			tmp, cache := t.TempDir(), t.TempDir()
			claim(t, shared(tmp))
			dir, err := privateRunDir(tmp, cache, uid, "b1")
			want := filepath.Join(cache, "hull", "run-b1")
			if err != nil || dir != want {
				t.Fatalf("got %q, %v; want the fallback %s", dir, err, want)
			}
			check(t, dir)
			// The fallback stays for the boot, even when the claim goes.
			if err := os.RemoveAll(shared(tmp)); err != nil {
				t.Fatal(err)
			}
			if again, err := privateRunDir(tmp, cache, uid, "b1"); err != nil || again != want {
				t.Errorf("after the claim went: %q, %v; want %s still", again, err, want)
			}
			// A new boot starts over in tmp.
			if next, err := privateRunDir(tmp, cache, uid, "b2"); err != nil || next != shared(tmp) {
				t.Errorf("next boot: %q, %v; want %s", next, err, shared(tmp))
			}

			// No cache dir: a one-line error naming the dir and the fix.
			tmp2 := t.TempDir()
			claim(t, shared(tmp2))
			_, err = privateRunDir(tmp2, "", uid, "b1")
			if err == nil || !strings.Contains(err.Error(), shared(tmp2)) || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR") || strings.Contains(err.Error(), "\n") {
				t.Errorf("claimed, no fallback: %v", err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A store directory others may write to is refused: they could swap what
// is in it.
func TestEnsureRefusesSharedStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	p := Paths{Root: dir, RunRoot: filepath.Join(t.TempDir(), "run")}
	if err := p.Ensure(); err == nil || !strings.Contains(err.Error(), "only it may write") {
		t.Errorf("Ensure of a 0777 store: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := p.Ensure(); err != nil {
		t.Errorf("Ensure of a 0755 store of our own: %v", err)
	}
}
