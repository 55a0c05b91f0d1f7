package lease

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A file open for writing gets no lease; once one is held, a writer's open
// waits until it is let go, so nothing can change the file in between.
func TestHold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exe")
	if err := os.WriteFile(path, []byte("checked"), 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = Hold(r)
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if !errors.Is(err, ErrOpenForWriting) {
		t.Fatalf("lease with a writer open: %v, want ErrOpenForWriting", err)
	}
	w.Close()
	if err := Hold(r); err != nil {
		t.Fatalf("lease with no writer: %v", err)
	}
	opened := make(chan error, 1)
	go func() {
		// The writer, in another thread: its open blocks in the kernel.
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			_, err = w.WriteString("changed")
			w.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("a writer opened the file under the lease: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if b, _ := os.ReadFile(path); string(b) != "checked" {
		t.Fatalf("the file changed under the lease: %q", b)
	}
	r.Close() // lets the lease go: the writer goes on
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second): // a writer left waiting, however slow the machine
		t.Fatal("the writer still waits after the lease was let go")
	}
	// Truncating by path waits too.
	r, _ = os.Open(path)
	if err := Hold(r); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- unix.Truncate(path, 0) }()
	select {
	case err := <-done:
		t.Fatalf("truncate under the lease: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	r.Close()
	<-done
}

// A writer's open under the lease tells no process (no SIGIO): a hull
// that relays every signal to its container must not pass one on.
func TestHoldSendsNoSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exe")
	if err := os.WriteFile(path, []byte("x"), 0o700); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGIO)
	defer signal.Stop(sigs)
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Hold(r); errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	go func() {
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	}()
	select {
	case s := <-sigs:
		t.Fatalf("the lease break sent %v", s)
	case <-time.After(300 * time.Millisecond):
	}
	r.Close()
}
