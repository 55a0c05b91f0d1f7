package container

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

type plainRemover struct{}

func (plainRemover) RemoveAll(dir string) error { return os.RemoveAll(dir) }

func openStore(t *testing.T) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := Open(root, plainRemover{})
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func newRecord(name string, created time.Time) *Container {
	return &Container{Name: name, Created: created, Path: "sh", State: State{Status: StatusCreated}}
}

func TestCreateLookupList(t *testing.T) {
	s, _ := openStore(t)
	a := newRecord("web", time.Unix(1, 0))
	b := newRecord("", time.Unix(2, 0))
	for _, c := range []*Container{a, b} {
		if err := s.Create(c); err != nil {
			t.Fatal(err)
		}
	}
	if b.Name == "" || len(b.ID) != 64 {
		t.Fatalf("generated name %q id %q", b.Name, b.ID)
	}
	for _, d := range []string{"upper", "work", "rootfs"} {
		if fi, err := os.Stat(filepath.Join(s.Dir(a.ID), d)); err != nil || !fi.IsDir() {
			t.Fatalf("%s missing: %v", d, err)
		}
	}
	for _, ref := range []string{a.ID, "web", "/web", a.ID[:5]} {
		got, err := s.Lookup(ref)
		if err != nil || got.ID != a.ID {
			t.Errorf("lookup %q: %v %v", ref, got, err)
		}
	}
	if _, err := s.Lookup("nosuch"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].ID != b.ID {
		t.Fatalf("list not newest first: %v %v", list, err)
	}
	if err := s.Create(newRecord("web", time.Now())); !errors.Is(err, ErrNameInUse) {
		t.Fatalf("duplicate name: %v", err)
	}
	if err := s.Create(newRecord("bad/name", time.Now())); err == nil {
		t.Fatal("invalid name accepted")
	}
}

func TestLookupAmbiguousPrefix(t *testing.T) {
	s, _ := openStore(t)
	for _, id := range []string{"aaaa1" + pad(59), "aaaa2" + pad(59)} {
		if err := s.Create(&Container{ID: id, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Lookup("aaaa"); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if c, err := s.Lookup("aaaa2"); err != nil || c.ID[4] != '2' {
		t.Fatalf("unique prefix: %v %v", c, err)
	}
}

func pad(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'f'
	}
	return string(b)
}

// Names stay unique when many creates race, within and across stores
// (two stores on one root stand for two hull processes).
func TestCreateNamesUniqueUnderConcurrency(t *testing.T) {
	s1, root := openStore(t)
	s2, err := Open(root, plainRemover{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := s1
			if i%2 == 1 {
				s = s2
			}
			name := ""
			if i < n/2 {
				name = "same"
			}
			errs <- s.Create(newRecord(name, time.Now()))
		}(i)
	}
	wg.Wait()
	close(errs)
	ok, conflicts := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrNameInUse):
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	if ok != n/2+1 || conflicts != n/2-1 {
		t.Fatalf("%d created, %d conflicts", ok, conflicts)
	}
	list, err := s1.List()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range list {
		if names[c.Name] {
			t.Fatalf("name %q given twice", c.Name)
		}
		names[c.Name] = true
	}
	if len(list) != n/2+1 {
		t.Fatalf("%d records", len(list))
	}
}

func TestModifyRenameRemove(t *testing.T) {
	s, root := openStore(t)
	c := newRecord("one", time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(c.ID, "two"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Modify(c.ID, func(c *Container) error { c.SetExited(3, time.Now(), ""); return nil })
	if err != nil || got.Name != "two" || got.State.ExitCode != 3 || got.State.Status != StatusExited {
		t.Fatalf("modify lost the rename or the state: %+v %v", got, err)
	}
	if err := s.Create(newRecord("one", time.Now())); err != nil {
		t.Fatalf("old name not freed: %v", err)
	}
	if err := s.Remove(c.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir(c.ID)); !os.IsNotExist(err) {
		t.Fatalf("directory left: %v", err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("record left: %v", err)
	}
	if _, err := s.Modify(c.ID, func(*Container) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("modify of removed: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "containers"))
	if len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
}

// A record that says running but whose process is gone (hull was killed)
// lists as exited, and a running record with a live pid is refused by rm.
func TestRunningState(t *testing.T) {
	s, _ := openStore(t)
	c := newRecord("ghost", time.Now())
	c.SetRunning(999999999, time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	list, _ := s.List()
	if list[0].State.Running || list[0].State.Status != StatusExited {
		t.Fatalf("vanished process still running: %+v", list[0].State)
	}
	if err := s.Remove(c.ID, false); err != nil {
		t.Fatalf("remove of a dead container: %v", err)
	}
}

func TestOpenSweepsLeftovers(t *testing.T) {
	s, root := openStore(t)
	for _, d := range []string{".tmp-x", ".rm-y"} {
		if err := os.MkdirAll(filepath.Join(root, "containers", d, "upper"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(root, plainRemover{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "containers"))
	if len(entries) != 0 {
		t.Fatalf("not swept: %v", entries)
	}
	_ = s
}

// The upper dir becomes the container's "/": it must be 0755 whatever the
// umask, or only the container's root could reach any path.
func TestCreateDirModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	s, _ := openStore(t)
	c := newRecord("modes", time.Now())
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]os.FileMode{s.UpperDir(c.ID): 0o755, s.RootfsDir(c.ID): 0o755, s.WorkDir(c.ID): 0o700} {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", dir, fi.Mode().Perm(), err, want)
		}
	}
}
