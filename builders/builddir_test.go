package builders

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSweepWorkDirs(t *testing.T) {
	parent, state := t.TempDir(), t.TempDir()
	live, err := NewWorkDir(parent, "live")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release()
	dead, err := NewWorkDir(parent, "dead")
	if err != nil {
		t.Fatal(err)
	}
	dead.Release() // as when its hull process is killed
	for _, d := range []string{
		filepath.Join(parent, "dead", "0", "upper"),
		filepath.Join(parent, ".new-999999999-x"), // creator gone
		filepath.Join(parent, ".new-"+itoa(os.Getpid())+"-y"),
		filepath.Join(state, "dead", "run"), filepath.Join(state, "live", "run"), filepath.Join(state, "other"),
	} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(parent, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := SweepWorkDirs(parent, state, os.RemoveAll)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".new-999999999-x", "dead"}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for name, want := range map[string]bool{
		filepath.Join(parent, "live"): true, filepath.Join(parent, "dead"): false,
		filepath.Join(parent, ".new-"+itoa(os.Getpid())+"-y"): true, filepath.Join(parent, "file"): true,
		filepath.Join(state, "live"): true, filepath.Join(state, "dead"): false,
		filepath.Join(state, "other"): true, // another store's build
	} {
		if _, err := os.Stat(name); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
	// Released, the live dir goes too.
	live.Release()
	if removed, _ := SweepWorkDirs(parent, state, os.RemoveAll); !slices.Contains(removed, "live") {
		t.Errorf("a released dir was kept: removed %v", removed)
	}
}

func itoa(n int) string { return fmt.Sprint(n) }
