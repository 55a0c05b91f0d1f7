package image

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Reserve is the most free space a write of content from outside (a
// layer, a spooled archive) leaves on the store's file system: a small
// compressed archive or layer can expand without bound (a decompression
// bomb), and a full disk breaks every other hull process and the user's
// own work, so the write stops first, with a clear error. On a small file
// system the reserve is 5% of it, so that a nearly full disk still takes
// small images.
const Reserve = 1 << 30

// reserveCheckEvery is how often (in bytes written) the free space is read.
const reserveCheckEvery = 64 << 20

// ReserveWriter writes to f while its file system keeps Reserve free.
func ReserveWriter(f *os.File) io.Writer { return &reserveWriter{f: f, free: freeBytes} }

type reserveWriter struct {
	f *os.File
	// free is the space left to the writer and the file system's size.
	free    func(*os.File) (avail, size uint64, err error)
	written int64
	checked int64
}

func (w *reserveWriter) Write(p []byte) (int, error) {
	if w.written == 0 || w.written-w.checked >= reserveCheckEvery {
		w.checked = w.written
		if avail, size, err := w.free(w.f); err == nil {
			keep := min(uint64(Reserve), size/20)
			if avail < keep+uint64(len(p)) {
				return 0, fmt.Errorf("the content expands to more than the store's free space (stopped at %d MiB, keeping %d MiB free)", w.written>>20, keep>>20)
			}
		}
	}
	n, err := w.f.Write(p)
	w.written += int64(n)
	return n, err
}

// freeBytes is the space left to an unprivileged writer on f's file
// system, and its size.
func freeBytes(f *os.File) (uint64, uint64, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}
