package copier

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHash(t *testing.T) {
	s, _ := roots(t, map[string]string{"app/a": "A", "app/b": "B", "app/l": "->a", "app/x.md": "md", "other": "o"})
	op := Op{Sources: []string{"app"}, Exclude: []string{"*.md"}}
	h1, err := Hash(s, op)
	must(t, err)
	if h2, _ := Hash(s, op); h1 != h2 {
		t.Fatal("hash not stable")
	}
	// Excluded and unselected files do not change it.
	must(t, os.WriteFile(filepath.Join(s, "app/x.md"), []byte("changed"), 0o644))
	must(t, os.WriteFile(filepath.Join(s, "other"), []byte("changed"), 0o644))
	if h2, _ := Hash(s, op); h1 != h2 {
		t.Fatal("hash changed with an excluded file")
	}
	changes := []func(){
		func() { must(t, os.WriteFile(filepath.Join(s, "app/a"), []byte("A2"), 0o644)) },
		func() { must(t, os.Chmod(filepath.Join(s, "app/b"), 0o600)) },
		func() { os.Remove(filepath.Join(s, "app/l")); must(t, os.Symlink("b", filepath.Join(s, "app/l"))) },
		func() { must(t, os.Rename(filepath.Join(s, "app/b"), filepath.Join(s, "app/c"))) },
	}
	prev := h1
	for i, change := range changes {
		change()
		h, err := Hash(s, op)
		must(t, err)
		if h == prev {
			t.Fatalf("change %d did not change the hash", i)
		}
		prev = h
	}
}
