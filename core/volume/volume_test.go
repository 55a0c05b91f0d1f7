package volume

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), os.RemoveAll)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"a", "data", "my_vol.1-x", "0"} {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
	for _, n := range []string{"", "-a", ".a", "_a", "a/b", "..", "a b", "../x", "a:b"} {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
	}
}

func TestCreateGetRemove(t *testing.T) {
	s := openTest(t)
	v, err := s.Create("data", CreateOptions{Labels: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Driver != "local" || v.Scope != "local" || v.Labels["k"] != "v" || v.Mountpoint != s.DataDir("data") {
		t.Fatalf("volume = %+v", v)
	}
	if fi, err := os.Stat(v.Mountpoint); err != nil || !fi.IsDir() {
		t.Fatalf("mountpoint: %v", err)
	}
	again, err := s.Create("data", CreateOptions{})
	if err != nil || !again.CreatedAt.Equal(v.CreatedAt) || again.Labels["k"] != "v" {
		t.Fatalf("second create = %+v, %v; want the existing volume", again, err)
	}
	if _, err := s.Create("../x", CreateOptions{}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("create ../x: %v", err)
	}
	if _, err := s.Create("x", CreateOptions{Driver: "nfs"}); err == nil {
		t.Fatal("create with another driver succeeded")
	}
	used := func(string) (bool, error) { return true, nil }
	if err := s.Remove("data", false, used); !errors.Is(err, ErrInUse) {
		t.Fatalf("remove in use: %v", err)
	}
	if err := s.Remove("data", true, used); err != nil {
		t.Fatalf("remove -f: %v", err)
	}
	if _, err := s.Get("data"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after remove: %v", err)
	}
	if err := s.Remove("data", false, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove missing: %v", err)
	}
}

func TestPrune(t *testing.T) {
	s := openTest(t)
	anon, _ := s.Create("", CreateOptions{Labels: map[string]string{AnonymousLabel: ""}})
	busy, _ := s.Create("", CreateOptions{Labels: map[string]string{AnonymousLabel: ""}})
	if _, err := s.Create("named", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	inUse := func(n string) (bool, error) { return n == busy.Name, nil }
	got, err := s.Prune(false, nil, inUse)
	if err != nil || len(got) != 1 || got[0] != anon.Name {
		t.Fatalf("prune = %v, %v; want only %s", got, err, anon.Name)
	}
	got, err = s.Prune(true, nil, inUse)
	if err != nil || len(got) != 1 || got[0] != "named" {
		t.Fatalf("prune -a = %v, %v; want named", got, err)
	}
	if vols, _ := s.List(); len(vols) != 1 || vols[0].Name != busy.Name {
		t.Fatalf("left = %v", vols)
	}
}

// TestConcurrentCreateRemove races creates and removes of one name: the
// store must end with either a whole volume or none, never a torn one.
func TestConcurrentCreateRemove(t *testing.T) {
	s := openTest(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if (i+j)%2 == 0 {
					if _, err := s.Create("shared", CreateOptions{}); err != nil {
						t.Error(err)
					}
				} else if err := s.Remove("shared", false, nil); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if e.Name() != "shared" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if _, err := s.Get("shared"); err == nil {
		if _, err := os.Stat(filepath.Join(s.Dir("shared"), dataDir)); err != nil {
			t.Errorf("torn volume: %v", err)
		}
	}
}
