package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// fuzzSeeds are the test tarballs: the tree, the whiteout layers and every
// escape case (built against a made-up sandbox path).
func fuzzSeeds(tb testing.TB) [][]byte {
	lower, upper := whiteoutLayers(tb)
	seeds := [][]byte{tarOf(tb, treeItems()...), lower, upper}
	fake := &sandbox{parent: "/tmp/fuzz-parent", target: "/tmp/fuzz-parent/root", canary: "/tmp/fuzz-parent/canary"}
	for _, c := range escapeCases() {
		seeds = append(seeds, tarOf(tb, c.items(fake)...))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(seeds[0])
	zw.Close()
	return append(seeds, gz.Bytes())
}

// FuzzUnpack extracts arbitrary input into a fresh target dir beside a
// canary and asserts nothing outside the target changes. Errors are fine;
// panics, escapes and hangs are not.
func FuzzUnpack(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, apply bool) {
		if tooBig(data) {
			t.Skip("declares more content than a fuzz run should write")
		}
		s := newSandboxIn(t, fuzzParent(t))
		Unpack(bytes.NewReader(data), s.target, Options{ApplyWhiteouts: apply})
		s.check(t)
	})
}

// tooBig reports whether data declares over 8 MiB of file content (sparse
// headers can declare terabytes in a few bytes) or decompresses past 8 MiB.
func tooBig(data []byte) bool {
	r, closeFn, err := decompress(bytes.NewReader(data))
	if err != nil {
		return false
	}
	defer closeFn()
	tr := tar.NewReader(io.LimitReader(r, 8<<20))
	var total int64
	for {
		hdr, err := tr.Next()
		if err != nil {
			return false
		}
		if total += hdr.Size; hdr.Size < 0 || total > 8<<20 {
			return true
		}
	}
}

// TestMain shortens the fuzzer's minimization of new inputs (default 60s)
// unless -test.fuzzminimizetime is given: a layer tarball is kilobytes, and
// minimizing one takes longer than a whole short fuzz run, during which
// nothing new is tried.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		flag.Set("test.fuzzminimizetime", "2s")
	}
	os.Exit(m.Run())
}

// fuzzParent makes an empty directory for one fuzz run, on /dev/shm when
// there is one: creating and removing trees on tmpfs is ~30x faster than on
// a journaling disk, and the fuzzer spends its time on them.
func fuzzParent(t *testing.T) string {
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && unix.Access("/dev/shm", unix.W_OK) == nil {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "layer-fuzz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // after newSandboxIn's makeRemovable
	return dir
}
