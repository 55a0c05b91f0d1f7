package archive

import (
	"io"
	"os"
	"strings"
	"testing"
)

// A spool stops before it eats the store's last free GiB (a decompression
// bomb), and writes everything while there is room.
func TestSpoolKeepsReserve(t *testing.T) {
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
		w.free = func(*os.File) (uint64, error) { return uint64(spoolReserve + room - w.written), nil }
		n, err := io.Copy(w, io.LimitReader(zeros{}, c.size))
		if c.wantErr {
			if err == nil || !strings.Contains(err.Error(), "free space") {
				t.Fatalf("spool of %d MiB with %d MiB free: %v, want a free-space error", c.size>>20, room>>20, err)
			}
			// Free space is read every spoolCheckEvery bytes: at most
			// that much of the reserve may go.
			if n > room+spoolCheckEvery {
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
