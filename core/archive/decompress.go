package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	bzip2Magic = []byte("BZh")
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress recognises a gzip, bzip2, xz or zstd stream by its first
// bytes, as docker load does, and returns a reader of the plain archive
// and the name of the compression ("" for none). close releases a
// decoder's resources.
func decompress(r io.Reader) (out io.Reader, kind string, close func(), err error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, "", nil, fmt.Errorf("read archive: %w", err)
	}
	nothing := func() {}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("gzip archive: %w", err)
		}
		return zr, "gzip", func() { zr.Close() }, nil
	case bytes.HasPrefix(head, bzip2Magic):
		return bzip2.NewReader(br), "bzip2", nothing, nil
	case bytes.HasPrefix(head, xzMagic):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("xz archive: %w", err)
		}
		return xr, "xz", nothing, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("zstd archive: %w", err)
		}
		return zr, "zstd", zr.Close, nil
	}
	return br, "", nothing, nil
}
