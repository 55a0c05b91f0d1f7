package lockfile

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"os"
)

func TestLockExcludesAndReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	release, err := Lock(path, "test store")
	if err != nil {
		t.Fatal(err)
	}
	// A second open file description cannot take it while it is held.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Flock(f, unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Fatalf("second lock while held: %v, want EWOULDBLOCK", err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := Lock(path, "test store")
		if err == nil {
			r()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Lock returned while held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v", fi, err)
	}
}

func TestLockErrorNamesObject(t *testing.T) {
	_, err := Lock(filepath.Join(t.TempDir(), "missing", "x.lock"), "pod store")
	if err == nil || !strings.HasPrefix(err.Error(), "lock pod store: ") {
		t.Errorf("error %v, want one naming the pod store", err)
	}
}
