package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"
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
		s := newSandbox(t)
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
