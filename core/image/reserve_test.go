package image

import (
	"io"
	"os"
	"strings"
	"testing"
)

// A write of outside content stops before it eats the store's last free
// GiB (a decompression bomb), and writes everything while there is room;
// on a small file system the reserve is 5% of it.
func TestReserveWriterKeepsReserve(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	const room = 200 << 20 // free space above the reserve at the start
	for _, c := range []struct {
		size    int64
		wantErr bool
	}{{100 << 20, false}, {1 << 30, true}} {
		w := &reserveWriter{f: devnull}
		w.free = func(*os.File) (uint64, uint64, error) { return uint64(Reserve + room - w.written), 100 << 30, nil }
		n, err := io.Copy(w, io.LimitReader(zeros{}, c.size))
		if c.wantErr {
			if err == nil || !strings.Contains(err.Error(), "free space") {
				t.Fatalf("spool of %d MiB with %d MiB free: %v, want a free-space error", c.size>>20, room>>20, err)
			}
			// Free space is read every reserveCheckEvery bytes: at most
			// that much of the reserve may go.
			if n > room+reserveCheckEvery {
				t.Fatalf("spool wrote %d MiB into the reserve", (n-room)>>20)
			}
			continue
		}
		if err != nil || n != c.size {
			t.Fatalf("spool of %d MiB with room: %d, %v", c.size>>20, n, err)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestReserveOfSmallFileSystem(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	// 4 GiB file system, 300 MiB free: the reserve is 204 MiB, so 50 MiB
	// go in and 200 MiB do not.
	for size, ok := range map[int64]bool{50 << 20: true, 200 << 20: false} {
		w := &reserveWriter{f: devnull}
		w.free = func(*os.File) (uint64, uint64, error) { return uint64(300<<20 - w.written), 4 << 30, nil }
		_, err := io.Copy(w, io.LimitReader(zeros{}, size))
		if (err == nil) != ok {
			t.Errorf("%d MiB into 300 MiB free of 4 GiB: %v, want ok=%v", size>>20, err, ok)
		}
	}
}
