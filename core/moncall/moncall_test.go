package moncall

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A message carries its descriptors: what the monitor reads from the pipe
// whose write end came over the socket is what was written there.
func TestSendRecvPassesFiles(t *testing.T) {
	mine, theirs, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	defer theirs.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Send(theirs, Started{Pid: 42, Detached: true}, w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var got Started
	files, err := Recv(mine, &got)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pid != 42 || !got.Detached || len(files) != 1 {
		t.Fatalf("got %+v with %d files", got, len(files))
	}
	if _, err := files[0].WriteString("through"); err != nil {
		t.Fatal(err)
	}
	files[0].Close()
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "through" {
		t.Fatalf("read %q, %v", b, err)
	}
}

// The other side's end, before it sent anything, is ErrClosed, not a
// message of zero values.
func TestRecvClosed(t *testing.T) {
	mine, theirs, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	theirs.Close()
	var p Plan
	if _, err := Recv(mine, &p); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after close: %v", err)
	}
}

// Held sees another open file's flock, and nothing once it is gone or
// released.
func TestHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "remove.lock")
	if Held(path) {
		t.Fatal("a missing lock file is held")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if Held(path) {
		t.Fatal("an unlocked file is held")
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if !Held(path) {
		t.Fatal("an exclusive flock is not seen")
	}
	f.Close()
	if Held(path) {
		t.Fatal("a released flock is held")
	}
}
