package lease

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The memfd holds exactly what was copied in, and nothing can change it
// afterwards: no write, no truncation, no growth, no new seals removed.
func TestSealedMemfdHoldsAndKeeps(t *testing.T) {
	data := bytes.Repeat([]byte("hull\x00"), 10000)
	mem, err := SealedMemfd("test-bin", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	got, err := io.ReadAll(io.NewSectionReader(mem, 0, int64(len(data))+1))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (err %v), want the %d copied in", len(got), err, len(data))
	}
	seals, err := unix.FcntlInt(mem.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if seals&want != want {
		t.Errorf("seals %#x, want at least %#x", seals, want)
	}
	if _, err := mem.WriteAt([]byte("x"), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("write into the sealed memfd: %v, want EPERM", err)
	}
	if err := mem.Truncate(1); !errors.Is(err, unix.EPERM) {
		t.Errorf("truncate the sealed memfd: %v, want EPERM", err)
	}
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("change its seals: %v, want EPERM", err)
	}
}

// A reader that fails gives no memfd and an error that names the binary
// and wraps the cause.
func TestSealedMemfdReadFailure(t *testing.T) {
	mem, err := SealedMemfd("test-bin", io.MultiReader(strings.NewReader("abc"), errReader{}))
	if mem != nil {
		mem.Close()
		t.Error("a memfd came back with the error")
	}
	if err == nil || !strings.Contains(err.Error(), "test-bin") || !errors.Is(err, errBroken) {
		t.Fatalf("err %v, want the copy's failure naming test-bin", err)
	}
}

var errBroken = errors.New("broken reader")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
